"""The plan: which files and modules go into the archive (``payload``), and which of them
must become real files at run time and why (``extraction``: native code from ``native``,
zip-unsafe packages from ``unsafe`` and its ``zipsafety`` analysis)."""

"""The calls the zip-safety analysis knows: those that need a real file when given a path
next to a module (sinks), those that only compute another path from it, and those whose
result no longer names a file."""

from __future__ import annotations

__all__ = [
    "ARGUMENT_METHOD_SINKS",
    "LAUNDERING",
    "PATH_FUNCTIONS",
    "PATH_METHODS",
    "PATH_SINKS",
    "RECEIVER_SINKS",
    "REPORTING_METHODS",
    "RESOURCE_FILE_CALLS",
]

# Calls that need a real file or directory when given a path next to the module.
PATH_SINKS = frozenset(
    {
        "open",
        "io.open",
        "codecs.open",
        "os.open",
        "os.listdir",
        "os.scandir",
        "os.walk",
        "os.stat",
        "os.lstat",
        "os.access",
        "os.chdir",
        "os.add_dll_directory",
        "os.path.exists",
        "os.path.lexists",
        "os.path.isfile",
        "os.path.isdir",
        "os.path.getsize",
        "os.path.getmtime",
        "os.path.getctime",
        "os.path.samefile",
        "glob.glob",
        "glob.iglob",
        "shutil.copy",
        "shutil.copy2",
        "shutil.copyfile",
        "shutil.copytree",
        "ctypes.CDLL",
        "ctypes.PyDLL",
        "ctypes.WinDLL",
        "ctypes.OleDLL",
        "ctypes.cdll.LoadLibrary",
        "ctypes.pydll.LoadLibrary",
        "ctypes.windll.LoadLibrary",
        "numpy.ctypeslib.load_library",
        "cffi.FFI.dlopen",
        "sys.path.append",
        "sys.path.insert",
        "site.addsitedir",
        "subprocess.run",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.Popen",
        "os.execv",
        "os.execl",
        "sqlite3.connect",
        "zipfile.ZipFile",
        "tarfile.open",
    }
)
# Methods that need a real file when called on a path next to the module (pathlib's),
# or when given one (ssl contexts, cffi).
RECEIVER_SINKS = frozenset(
    {
        "open",
        "read_text",
        "read_bytes",
        "iterdir",
        "glob",
        "rglob",
        "exists",
        "is_file",
        "is_dir",
        "stat",
        "lstat",
        "samefile",
        "walk",
    }
)
ARGUMENT_METHOD_SINKS = frozenset(
    {"load_verify_locations", "load_cert_chain", "dlopen", "LoadLibrary"}
)
# pkg_resources calls that hand out or inspect real files whatever their arguments: with
# a loader pkg_resources does not know, they fail or name a file that does not exist.
RESOURCE_FILE_CALLS = frozenset(
    {
        "pkg_resources.resource_filename",
        "pkg_resources.resource_listdir",
        "pkg_resources.resource_isdir",
        "pkg_resources.resource_exists",
    }
)
# Functions whose result, given a path next to the module, is another such path (the
# analysis follows it), and that do nothing else with it.
PATH_FUNCTIONS = frozenset(
    {
        "os.path.join",
        "os.path.dirname",
        "os.path.abspath",
        "os.path.realpath",
        "os.path.normpath",
        "os.path.normcase",
        "os.path.expanduser",
        "os.path.relpath",
        "os.path.split",
        "os.path.splitext",
        "os.fspath",
        "os.fsencode",
        "os.fsdecode",
        "str",
        "bytes",
        "pathlib.Path",
        "pathlib.PurePath",
        "pathlib.PosixPath",
        "pathlib.PurePosixPath",
        "Path",
        "PurePath",
        "posixpath.join",
        "posixpath.dirname",
        "ntpath.join",
    }
)
# Methods of a path (str or pathlib) that compute another path or a part of one.
PATH_METHODS = frozenset(
    {
        "joinpath",
        "with_name",
        "with_suffix",
        "with_stem",
        "resolve",
        "absolute",
        "relative_to",
        "as_posix",
        "format",
        "replace",
        "rstrip",
        "lstrip",
        "strip",
        "split",
        "rsplit",
        "rpartition",
        "partition",
        "endswith",
        "startswith",
        "lower",
        "upper",
        "encode",
        "decode",
        "join",
    }
)
# Calls whose result no longer names a file in the package, and that do nothing with it
# (a message, a check).
LAUNDERING = frozenset(
    {
        "os.path.basename",
        "len",
        "bool",
        "print",
        "repr",
        "id",
        "isinstance",
        "hasattr",
        "hash",
        "warnings.warn",
        "logging.debug",
        "logging.info",
        "logging.warning",
        "logging.error",
        "logging.exception",
    }
)
# Methods that only log or report what they are given (logger.debug(path)).
REPORTING_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "write"}
)

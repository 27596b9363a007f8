"""``pairing-provider-migrate --from-terraform STATE [--out DIR] [--requirement SPEC]``, or
``--native-import file|commands`` for `pulumi import` of the profiles by the native provider.

Also ``python -m pairing_provider.migrate``.

Everything is read, checked and rendered in memory before the first file is written, so an
error leaves nothing behind; the files themselves are written through temporary files made
exclusively (``mkstemp``) in the output directory, so a name planted there (a symlink to
another file) is never written through.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from pairing_provider import __version__
from pairing_provider.errors import MigrationError
from pairing_provider.migrate import native_import
from pairing_provider.migrate.decls import Migration
from pairing_provider.migrate.origin import Requirement, installed_requirement
from pairing_provider.migrate.plan import plan_migration
from pairing_provider.migrate.render import (
    project_name,
    render_program,
    render_pulumi_yaml,
    render_requirements,
)
from pairing_provider.migrate.report import render_report
from pairing_provider.migrate.state import parse_state
from pairing_provider.migrate.text import terminal_lines

PROGRAM = "__main__.py"
STDIN = "-"


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    source_name = "stdin" if args.from_terraform == STDIN else Path(args.from_terraform).name
    try:
        migration = plan_migration(parse_state(_read(args.from_terraform)))
        if args.native_import:
            sys.stdout.write(native_import.render(migration, args.native_import))
            sys.stderr.write(
                native_import.render_import_report(migration, source_name, args.native_import)
            )
            return 0
        program = render_program(migration, source_name)
        written = _emit(migration, program, args.out, args.requirement)
    except MigrationError as exc:
        # Addresses come from the state: escaped, so none can drive the terminal.
        print(f"error: {terminal_lines(str(exc))}", file=sys.stderr)
        return 1
    sys.stderr.write(render_report(migration, source_name, written))
    return 0


COMMAND = "pairing-provider-migrate"


def _parser() -> argparse.ArgumentParser:
    # Its own name in --help: the console script's, or the python -m form it was run as.
    invoked = os.path.basename(sys.argv[0])
    parser = argparse.ArgumentParser(
        prog=COMMAND if invoked == COMMAND else "python -m pairing_provider.migrate",
        description=(
            "Write a Pulumi program that adopts the pairing profiles (and replaces the pairing "
            "keys) of a Terraform state, without recreating any profile."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--from-terraform",
        required=True,
        metavar="STATE",
        help="`terraform show -json` output or a terraform.tfstate file (version 4); - for stdin",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help=(
            "write DIR/__main__.py (plus Pulumi.yaml and requirements.txt when DIR is new or "
            "empty) instead of printing the program; the report always goes to stderr"
        ),
    )
    parser.add_argument(
        "--requirement",
        type=_one_line,
        metavar="SPEC",
        help=(
            "how the new project's requirements.txt names this package (default: where this "
            "tool was installed from, a git commit or a package index release), e.g. "
            "'pairing_provider @ git+https://github.com/ORG/pairing_provider@v0.3.0'"
        ),
    )
    parser.add_argument(
        "--native-import",
        choices=native_import.FORMATS,
        help=(
            "instead of a program: print a `pulumi import --file` file (file) or one "
            "`pulumi import` command per profile (commands) for the native provider"
        ),
    )
    return parser


def _one_line(spec: str) -> str:
    """A requirement is one line of requirements.txt: a line break would add others."""
    if not spec.strip() or any(not char.isprintable() for char in spec):
        raise argparse.ArgumentTypeError("must be one non-empty line of printable characters")
    return spec.strip()


def _read(source: str) -> bytes:
    """Bytes: json.loads detects UTF-8, UTF-16 (PowerShell's `>`) and UTF-32 by itself."""
    try:
        if source == STDIN:
            return sys.stdin.buffer.read()
        return Path(source).read_bytes()
    except OSError as exc:
        raise MigrationError(f"cannot read {source}: {exc.strerror or exc}") from None


def _emit(
    migration: Migration, program: str, out: Path | None, requirement: str | None
) -> list[str]:
    if out is None:
        sys.stdout.write(program)
        return []
    files = {PROGRAM: program}
    if _is_new(out):
        chosen = Requirement(requirement) if requirement else installed_requirement()
        if chosen.line is None:
            migration.notes.append(f"requirements.txt: {chosen.note}")
        files["Pulumi.yaml"] = render_pulumi_yaml(project_name(out))
        files["requirements.txt"] = render_requirements(chosen)
    elif not out.is_dir():
        raise MigrationError(f"{out} exists and is not a directory")
    elif (out / PROGRAM).exists():
        raise MigrationError(f"{out / PROGRAM} exists: not overwriting it; choose a new --out")
    return _write_all(out, files)


def _is_new(out: Path) -> bool:
    return not out.exists() or (out.is_dir() and not any(out.iterdir()))


def _write_all(out: Path, files: dict[str, str]) -> list[str]:
    """All the files or none: on a failure, remove what this call wrote (and made)."""
    made_directory = not out.exists()
    written: list[Path] = []
    temporaries: list[Path] = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        mode = _file_mode()
        for name, text in files.items():
            temporaries.append(_write_temporary(out, name, text, mode))
            os.replace(temporaries[-1], out / name)  # replaces a planted link, never follows it
            written.append(out / name)
    except OSError as exc:
        for path in [*written, *temporaries]:
            path.unlink(missing_ok=True)
        if made_directory and out.is_dir():
            out.rmdir()
        raise MigrationError(f"cannot write {out}: {exc.strerror or exc}") from None
    return [str(path) for path in written]


def _write_temporary(out: Path, name: str, text: str, mode: int) -> Path:
    """A new file of a fresh name (O_EXCL: nothing planted can be opened), holding ``text``."""
    fd, temporary = tempfile.mkstemp(dir=out, prefix=f".{name}.", suffix=".migrate-tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            os.fchmod(handle.fileno(), mode)  # mkstemp makes 0600; a program is an ordinary file
            handle.write(text)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Path(temporary)


def _file_mode() -> int:
    """0666 less the umask, the mode an ordinary ``open`` would have given."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask

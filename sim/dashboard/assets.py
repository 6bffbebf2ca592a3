"""Front-end files for rooms without internet: what Solara's page would otherwise fetch from a CDN.

Solara's server proxies a public CDN for its front end (the Vuetify app, RequireJS, Font
Awesome) and caches each file in ``solara.server.settings.assets.proxy_cache_dir``. With no
internet the page stays blank. The project ships the few files that the page actually asks
for, in production mode, in ``sim/dashboard/static_cdn/PACKAGE@VERSION/...``. Before the
server starts, :func:`use_offline_assets` copies them into a folder this server owns and points
the proxy cache there: Solara's proxy deletes any folder a request path names, so it must
never serve the package's own files (``sim.dashboard.guard`` also refuses such paths), and
nothing is downloaded at run time.

``MANIFEST`` says which files of which npm package (exact versions, as requested by Solara
``SOLARA_VERSION``). After upgrading Solara, run ``python -m sim.dashboard.assets check``
to see whether its page asks for other versions, and ``python -m sim.dashboard.assets refresh``
to fetch the manifest's files again with ``npm pack`` (needs npm and the npm registry).
"""

from __future__ import annotations

import argparse
import atexit
import fnmatch
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ASSET_DIR = Path(__file__).resolve().parent / "static_cdn"
SOLARA_VERSION = "1.64.1"

# npm package@version -> files (globs, relative to the package root) the page requests.
MANIFEST: dict[str, tuple[str, ...]] = {
    "@widgetti/solara-vuetify3-app@5.2.0": (
        "package.json",
        "dist/solara-vuetify-app8.min.js",
        "dist/solara-vuetify-app8.min.js.LICENSE.txt",
        "dist/*.solara-vuetify-app8.min.js",  # chunks the app loads on demand
        "dist/main8.css",
        "dist/fonts.css",
        "dist/*.woff2",  # fonts.css and main8.css offer woff2 first; every current browser takes it
    ),
    "requirejs@2.3.6": ("package.json", "require.js"),
    "font-awesome@4.5.0": ("package.json", "css/font-awesome.min.css", "fonts/fontawesome-webfont.woff2"),
}


def serving_copy(source: Path = ASSET_DIR) -> Path:
    """A fresh copy of ``source`` in a temporary folder, removed when this process exits.

    Whatever a request makes Solara's proxy do to the copy, the shipped files stay as they are.
    """
    if not source.is_dir():
        raise FileNotFoundError(f"the dashboard's front-end folder {source} is missing")
    root = Path(tempfile.mkdtemp(prefix="salesim-dashboard-cdn-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return Path(shutil.copytree(source, root / "cdn"))


def use_offline_assets(source: Path = ASSET_DIR) -> Path:
    """Point Solara's CDN proxy cache at a server-owned copy of ``source``; return the copy.

    Call before the server starts. The package folder itself is never handed to Solara.
    """
    import solara.server.settings as server_settings
    import solara.settings

    folder = serving_copy(source)
    solara.settings.assets.proxy = True
    server_settings.assets.proxy_cache_dir = folder
    return folder


def shipped_files(folder: Path = ASSET_DIR) -> list[Path]:
    """Every file under the asset folder, relative to it."""
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


def missing(folder: Path = ASSET_DIR) -> list[str]:
    """Manifest entries with no matching file in ``folder`` (empty when all is there)."""
    have = [str(p).replace("\\", "/") for p in shipped_files(folder)]
    out = []
    for package, patterns in MANIFEST.items():
        for pattern in patterns:
            if not fnmatch.filter(have, f"{package}/{pattern}"):
                out.append(f"{package}/{pattern}")
    return out


def requested_packages() -> set[str]:
    """``package@version`` of every CDN file the installed Solara's page template names."""
    import solara.server

    template = Path(solara.server.__file__).parent / "templates" / "solara.html.j2"
    text = template.read_text(encoding="utf-8") if template.is_file() else ""
    return set(re.findall(r"\{\{cdn\}\}/((?:@[\w.-]+/)?[\w.-]+@\d+\.\d+\.\d+[\w.-]*)/", text))


def unshipped_packages() -> list[str]:
    """Packages the installed Solara's page may request in production mode that we do not ship.

    The template also names the Vue 2 app (``solara-vuetify-app``), used only with ipyvue 2;
    it is ignored when ipyvue 3 is installed.
    """
    wanted = requested_packages()
    try:
        import ipyvue

        if str(ipyvue.__version__).startswith("3"):
            wanted = {p for p in wanted if not p.startswith("@widgetti/solara-vuetify-app@")}
    except ImportError:  # pragma: no cover - solara depends on ipyvue
        pass
    return sorted(wanted - set(MANIFEST))


def refresh(folder: Path = ASSET_DIR, npm: str = "npm") -> list[Path]:
    """Fetch the manifest's files with ``npm pack`` and write them under ``folder``; return them."""
    if shutil.which(npm) is None:
        raise RuntimeError(f"'{npm}' was not found; install Node.js and npm to refresh the dashboard's assets.")
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        for package, patterns in MANIFEST.items():
            out = subprocess.run([npm, "pack", package, "--silent"], cwd=tmp, check=True, capture_output=True,
                                 text=True).stdout.strip().splitlines()[-1]
            with tarfile.open(Path(tmp) / out) as tar:
                for member in tar.getmembers():
                    if not member.isfile():
                        continue
                    inner = member.name.removeprefix("package/")
                    if not any(fnmatch.fnmatch(inner, pattern) for pattern in patterns):
                        continue
                    target = folder / package / inner
                    target.parent.mkdir(parents=True, exist_ok=True)
                    source = tar.extractfile(member)
                    assert source is not None
                    target.write_bytes(source.read())
                    written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.dashboard.assets",
                                     description="Check or refresh the dashboard's offline front-end files.")
    parser.add_argument("action", choices=["check", "refresh"])
    args = parser.parse_args(argv)
    if args.action == "refresh":
        files = refresh()
        print(f"wrote {len(files)} files under {ASSET_DIR}")
    gaps, extra = missing(), unshipped_packages()
    for item in gaps:
        print(f"missing: {item}")
    for package in extra:
        print(f"the installed Solara's page asks for {package}, which is not in MANIFEST")
    if not gaps and not extra:
        size = sum((ASSET_DIR / p).stat().st_size for p in shipped_files())
        print(f"ok: {len(shipped_files())} files, {size / 1e6:.1f} MB in {ASSET_DIR}")
    return 1 if gaps or extra else 0


if __name__ == "__main__":
    sys.exit(main())

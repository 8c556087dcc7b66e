"""Put a saved model folder into a Hugging Face hub cache, as ``hf_hub_download`` / ``snapshot_download`` leave it.

For tests and benchmarks that drive the production loading path (hub ids, ``HF_HUB_OFFLINE=1``) without a network:

    models--{org}--{name}/blobs/{sha256}                       the file's bytes
    models--{org}--{name}/snapshots/{commit}/{path}            -> ../../blobs/{sha256} (a relative symlink)
    models--{org}--{name}/refs/main                            {commit}

``huggingface_hub.scan_cache_dir`` reads the result as it reads a downloaded repo; nothing here is needed to serve.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 24), b""):
            digest.update(chunk)
    return digest.hexdigest()


def add_to_hub_cache(folder: Path, repo_id: str, cache_dir: Path, *, revision: str | None = None, move: bool = False) -> Path:
    """Every file under ``folder`` as revision ``main`` of model repo ``repo_id`` in the hub cache at ``cache_dir``
    (``HF_HUB_CACHE``, or ``HF_HOME``/hub). ``move`` moves the files instead of copying them (multi-GB weights).
    Returns the snapshot folder."""
    from huggingface_hub.file_download import repo_folder_name

    folder, cache_dir = Path(folder), Path(cache_dir)
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    if not files:
        raise FileNotFoundError(f"{folder} holds no files")
    storage = cache_dir / repo_folder_name(repo_id=repo_id, repo_type="model")
    listing = [(f.relative_to(folder).as_posix(), _sha256(f)) for f in files]
    # A commit id of the repo's content: the same files make the same snapshot.
    commit = revision or hashlib.sha1(repr((repo_id, listing)).encode()).hexdigest()
    snapshot = storage / "snapshots" / commit
    for file, (relative, digest) in zip(files, listing, strict=True):
        blob = storage / "blobs" / digest
        blob.parent.mkdir(parents=True, exist_ok=True)
        if not blob.exists():
            (shutil.move if move else shutil.copyfile)(file, blob)
        pointer = snapshot / relative
        pointer.parent.mkdir(parents=True, exist_ok=True)
        if pointer.is_symlink() or pointer.exists():
            pointer.unlink()
        pointer.symlink_to(os.path.relpath(blob, pointer.parent))
    (storage / "refs").mkdir(parents=True, exist_ok=True)
    (storage / "refs" / "main").write_text(commit)
    return snapshot

"""Command line: ``python -m adgen generate "카페 신메뉴 홍보" --ratio 1:1 --out ad.png``.

Runs the same pipeline as the app, as a guest (nothing is stored in the database), with a
progress bar on stderr. ``batch`` takes one request per line from a file.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from pathlib import Path

from tqdm import tqdm

from adgen.errors import AdGenError
from adgen.settings import Settings


def _context(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from adgen.services import AdGenContext

    overrides = {}
    if args.copy_backend:
        overrides["copywriter_backend"] = args.copy_backend
    if args.image_backend:
        overrides["image_backend"] = args.image_backend
    settings = Settings(**overrides)
    # Guests store nothing, so the CLI needs no database.
    return AdGenContext.from_settings(settings, engine=None)


def _generate_one(ctx, text: str, args: argparse.Namespace, out: Path, *, position: int = 0) -> dict:  # type: ignore[no-untyped-def]
    from adgen.services import create_advertisement
    from adgen.uploads import load_upload

    photo = None
    if args.photo:
        s = ctx.settings
        photo = load_upload(Path(args.photo).read_bytes(), max_bytes=int(s.max_upload_mb * 1024 * 1024), max_pixels=s.max_upload_pixels)
    bar = tqdm(total=100, desc=text[:20], unit="%", position=position, leave=True, file=sys.stderr)

    def progress(fraction: float, message: str) -> None:
        bar.n = int(fraction * 100)
        bar.set_postfix_str(message, refresh=False)
        bar.refresh()

    try:
        result = create_advertisement(
            uuid.uuid4().hex, None, text, args.ratio, {}, image=photo, content_type=args.content, style=args.style,
            tone=args.tone, variants=args.variants, seed=args.seed, progress=progress, ctx=ctx,
        )
    finally:
        bar.close()
    written = []
    for i, v in enumerate(result.variants):
        suffix = "" if i == 0 else f"-{i + 1}"
        if v.image is not None:
            path = out.with_name(f"{out.stem}{suffix}{out.suffix or '.png'}")
            path.parent.mkdir(parents=True, exist_ok=True)
            v.image.save(path)
            written.append(str(path))
            if args.bare and v.bare_image is not None:
                bare = path.with_name(f"{path.stem}-bare.png")
                v.bare_image.save(bare)
                written.append(str(bare))
    info = result.public() | {"files": written}
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m adgen", description="AdGen: one sentence in, a finished ad out.")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--ratio", default="1:1", choices=["1:1", "4:3", "3:4"], help="aspect ratio")
        p.add_argument("--content", default="both", choices=["both", "image", "text"], help="what to make")
        p.add_argument("--style", default=None, help="style name (default: chosen from the request)")
        p.add_argument("--tone", default=None, choices=["존댓말", "반말"])
        p.add_argument("--photo", default=None, help="product photo (PNG/JPEG/WEBP)")
        p.add_argument("--variants", type=int, default=1, help="1-4 variants")
        p.add_argument("--seed", type=int, default=None)
        p.add_argument("--bare", action="store_true", help="also write the image without text (<out>-bare.png)")
        p.add_argument("--copy-backend", choices=["auto", "openai", "local"], default=None)
        p.add_argument("--image-backend", choices=["auto", "sdxl", "tiny", "template"], default=None)

    g = sub.add_parser("generate", help="make one ad")
    g.add_argument("text", help='the request, e.g. "카페 신메뉴 홍보"')
    g.add_argument("--out", default="ad.png", help="output PNG path")
    common(g)
    b = sub.add_parser("batch", help="one ad per line of a text file")
    b.add_argument("file", help="UTF-8 text file, one request per line")
    b.add_argument("--out-dir", default="ads", help="folder for ad-001.png, ad-002.png, ...")
    common(b)
    args = parser.parse_args(argv)

    try:
        ctx = _context(args)
        if args.command == "generate":
            info = _generate_one(ctx, args.text, args, Path(args.out))
            print(json.dumps(info, ensure_ascii=False, default=str))
        else:
            lines = [ln.strip() for ln in Path(args.file).read_text(encoding="utf-8").splitlines() if ln.strip()]
            failures = 0
            for n, text in enumerate(lines, 1):
                try:
                    info = _generate_one(ctx, text, args, Path(args.out_dir) / f"ad-{n:03d}.png")
                    print(json.dumps(info, ensure_ascii=False, default=str))
                except AdGenError as exc:
                    failures += 1
                    print(json.dumps({"input_text": text, "error": {"code": exc.code, "message": exc.message}}, ensure_ascii=False))
            return 1 if failures else 0
    except AdGenError as exc:
        print(f"오류 [{exc.code}]: {exc.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Print (and save) the image's size by section: image-size.py SIZE ELF OUT."""
import subprocess
import sys


def main() -> int:
    size_tool, elf, out = sys.argv[1:4]
    res = subprocess.run([size_tool, "-A", "-x", elf], capture_output=True, text=True)
    if res.returncode != 0:
        sys.stderr.write(res.stderr)
        return res.returncode
    lines = [f"image: {elf}"]
    total = 0
    for line in res.stdout.splitlines():
        parts = line.split()
        # Loaded sections only: debug sections sit at address 0.
        if len(parts) == 3 and parts[0].startswith(".") and int(parts[2], 16) != 0:
            size = int(parts[1], 16)
            total += size
            lines.append(f"  {parts[0]:<10} {size:>9} bytes at {parts[2]}")
    lines.append(f"  {'total':<10} {total:>9} bytes (map: {elf[:-4] if elf.endswith('.elf') else elf}.map)")
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

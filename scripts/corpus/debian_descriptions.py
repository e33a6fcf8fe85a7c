#!/usr/bin/env python3
"""Builds peregrine-datasets' unlabelled corpus from Debian's package descriptions.

Input: the Translation-LANG files of Debian 12 "bookworm" main, as apt downloads them:
    apt-get update -o Acquire::Languages="en,de,fr,es,it,pt,ru,ja,zh_CN,nl,pl"
Output: a gzipped JSONL file, one {"text", "lang", "package"} per line.

Each package description gives its one-line summary and each paragraph of its long description
as separate texts (so lengths vary from a few words to a few hundred). Exact duplicates are dropped,
then a deterministic sample is taken (by a hash of the text, so reruns pick the same texts).
Standard library only; no network.
"""
import glob
import gzip
import hashlib
import json
import re
import subprocess
import sys

LISTS = "/var/lib/apt/lists"
ENGLISH = 20000
PER_OTHER_LANGUAGE = 400
OTHERS = ["de", "fr", "es", "it", "pt", "ru", "ja", "zh_CN", "nl", "pl"]


def read(lang):
    pattern = f"{LISTS}/*_debian_dists_bookworm_main_i18n_Translation-{lang.replace('_', '%5f')}*"
    files = sorted(glob.glob(pattern))
    if not files:
        sys.exit(f"no {pattern}: run apt-get update with Acquire::Languages first")
    text = subprocess.run(["/usr/lib/apt/apt-helper", "cat-file", files[0]], check=True,
                          capture_output=True).stdout.decode("utf-8", "replace")
    for block in text.split("\n\n"):
        package, lines = None, []
        for line in block.split("\n"):
            if line.startswith("Package: "):
                package = line[9:].strip()
            elif line.startswith("Description-") and not line.startswith("Description-md5"):
                lines.append(line.split(": ", 1)[1] if ": " in line else "")
                lines.append(".")
            elif line.startswith(" ") and lines:
                lines.append(line[1:])
        if package is None:
            continue
        paragraph = []
        for line in lines + ["."]:
            if line.strip() == ".":
                if paragraph:
                    yield package, " ".join(paragraph)
                paragraph = []
            elif line.lstrip().startswith(("* ", "- ", "+ ", "o ")):
                # a list item starts a text of its own
                if paragraph:
                    yield package, " ".join(paragraph)
                paragraph = [line.strip()[2:].strip()]
            else:
                paragraph.append(line.strip())


def clean(text):
    text = re.sub(r"\s+", " ", text).strip()
    return text if 15 <= len(text) <= 700 else None


def sample(lang, n, taken):
    seen = {}
    for package, raw in read(lang):
        text = clean(raw)
        if text and text not in seen and text not in taken:
            seen[text] = package
    ranked = sorted(seen, key=lambda t: hashlib.sha256(t.encode()).hexdigest())
    return [(t, seen[t]) for t in ranked[:n]]


def main(out):
    rows = []
    taken = set()  # untranslated texts repeat the English: each text appears once
    for lang, n in [("en", ENGLISH)] + [(other, PER_OTHER_LANGUAGE) for other in OTHERS]:
        for t, p in sample(lang, n, taken):
            rows.append((t, lang, p))
            taken.add(t)
    rows.sort(key=lambda r: hashlib.sha256(r[0].encode()).hexdigest())
    with gzip.GzipFile(out, "wb", mtime=0) as f:
        for text, lang, package in rows:
            f.write((json.dumps({"text": text, "lang": lang, "package": package}, ensure_ascii=False) + "\n")
                    .encode("utf-8"))
    print(f"{len(rows)} texts -> {out}")


if __name__ == "__main__":
    main(sys.argv[1])

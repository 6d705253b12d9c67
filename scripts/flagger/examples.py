#!/usr/bin/env python3
"""Copies every Canary, MetricTemplate and AlertProvider that fluxcd/flagger
ships (its end-to-end scripts' heredocs under test/, artifacts/examples/ and
kustomize/) into Tests/SerinSpecTests/Fixtures/flagger-examples/, one
document per file, verbatim, headed by the file and line it came from.

    python3 scripts/flagger/examples.py /work/.mirror/fluxcd+flagger/repo v1.44.0

The Helm template charts/podinfo/templates/canary.yaml is not copied: it is
not YAML until rendered (Serin's Helm tests render it)."""
import os, re, subprocess, sys

repo, ref = sys.argv[1], sys.argv[2]
out = os.path.join(os.path.dirname(__file__), "../../Tests/SerinSpecTests/Fixtures/flagger-examples")
KINDS = ("Canary", "MetricTemplate", "AlertProvider")

def git(*args):
    return subprocess.run(["git", "--git-dir", repo, *args], check=True, capture_output=True, text=True).stdout

def documents(lines, first):
    """(line number, text) of each document of a YAML stream starting at line `first`."""
    start, current = first, []
    for number, line in enumerate(lines, first):
        if line.rstrip() == "---":
            if current:
                yield start, current
            start, current = number + 1, []
        else:
            current.append(line)
    if current:
        yield start, current

def blocks(path, text):
    lines = text.split("\n")
    if path.endswith((".yaml", ".yml")):
        yield from documents(lines, 1)
        return
    # Shell scripts: the bodies of `cat <<EOF` heredocs.
    index = 0
    while index < len(lines):
        match = re.search(r"<<-?\s*'?(\w+)'?", lines[index])
        if match:
            end = index + 1
            while end < len(lines) and lines[end].strip() != match.group(1):
                end += 1
            yield from documents(lines[index + 1:end], index + 2)
            index = end
        index += 1

files = [f for f in git("ls-tree", "-r", "--name-only", ref).split("\n")
         if (f.startswith("test/") and f.endswith(".sh"))
         or (f.startswith(("artifacts/examples/", "kustomize/")) and f.endswith((".yaml", ".yml")))]
os.makedirs(out, exist_ok=True)
for old in os.listdir(out):
    if old.endswith(".yaml"):
        os.remove(os.path.join(out, old))
count = 0
for path in sorted(files):
    for line, body in blocks(path, git("show", f"{ref}:{path}")):
        # Strip the heredoc's common indentation (a heredoc inside a shell function).
        indent = min((len(l) - len(l.lstrip()) for l in body if l.strip()), default=0)
        text = "\n".join(l[indent:] for l in body).strip("\n")
        kind = re.search(r"^kind:\s*(\w+)\s*$", text, re.M)
        if not kind or kind.group(1) not in KINDS or "flagger.app/" not in text:
            continue
        slug = re.sub(r"[^a-z0-9]+", "-", path.lower().rsplit(".", 1)[0]).strip("-")
        name = f"{slug}-{line}.yaml"
        with open(os.path.join(out, name), "w") as f:
            f.write(f"# fluxcd/flagger {ref} {path}:{line} ({kind.group(1)}), verbatim\n{text}\n")
        count += 1
print(f"{count} documents from {len(files)} files")

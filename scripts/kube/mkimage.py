#!/usr/bin/env python3
"""Build a single-layer docker-archive tarball (importable with `ctr -n k8s.io images import`)
without docker or a registry: no registry is reachable here, so cluster.sh builds its images locally.
Usage: mkimage.py OUT.tar NAME:TAG ENTRYPOINT_JSON SRC:DST [LINK=>TARGET ...]
(Adapted from the team's kube-kit reference. Files are 0755, mtimes 0: the same inputs give the same image.)"""
import sys, tarfile, io, json, hashlib, time
out, ref, entry = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
layer = io.BytesIO()
with tarfile.open(fileobj=layer, mode="w", format=tarfile.PAX_FORMAT) as t:
    dirs = set()
    def adddir(d):
        parts = d.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            p = "/".join(parts[:i])
            if p and p not in dirs:
                ti = tarfile.TarInfo(p); ti.type = tarfile.DIRTYPE; ti.mode = 0o755; ti.mtime = 0
                t.addfile(ti); dirs.add(p)
    for d in ("tmp", "etc", "proc", "sys", "dev"):
        adddir(d)
    for spec in sys.argv[4:]:
        if "=>" in spec:
            link, target = spec.split("=>")
            adddir(link.rsplit("/", 1)[0]) if "/" in link.strip("/") else None
            ti = tarfile.TarInfo(link.strip("/")); ti.type = tarfile.SYMTYPE; ti.linkname = target; ti.mtime = 0
            t.addfile(ti); continue
        src, dst = spec.split(":")[:2]
        adddir(dst.rsplit("/", 1)[0]) if "/" in dst.strip("/") else None
        data = open(src, "rb").read()
        ti = tarfile.TarInfo(dst.strip("/")); ti.size = len(data); ti.mode = 0o755; ti.mtime = 0
        t.addfile(ti, io.BytesIO(data))
    ti = tarfile.TarInfo("etc/passwd"); p = b"root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n"
    ti.size = len(p); ti.mode = 0o644; t.addfile(ti, io.BytesIO(p))
lb = layer.getvalue(); diffid = "sha256:" + hashlib.sha256(lb).hexdigest()
cfg = {"architecture": "amd64", "os": "linux", "created": "1970-01-01T00:00:00Z",
       "config": {"Entrypoint": entry, "Env": ["PATH=/bin:/usr/bin"], "WorkingDir": "/"},
       "rootfs": {"type": "layers", "diff_ids": [diffid]}, "history": [{"created": "1970-01-01T00:00:00Z"}]}
cb = json.dumps(cfg).encode(); ch = hashlib.sha256(cb).hexdigest()
man = [{"Config": ch + ".json", "RepoTags": [ref], "Layers": ["layer0/layer.tar"]}]
with tarfile.open(out, "w") as t:
    for name, b in ((ch + ".json", cb), ("layer0/layer.tar", lb), ("manifest.json", json.dumps(man).encode())):
        ti = tarfile.TarInfo(name); ti.size = len(b); ti.mode = 0o644; t.addfile(ti, io.BytesIO(b))
print(out, ref, len(lb), "bytes layer")

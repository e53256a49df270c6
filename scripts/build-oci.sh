#!/usr/bin/env bash
# `npm run build:oci`: a daemonless build of edgeserve's OCI image (no Docker, no registry):
# dist/edgeserve plus the shared libraries it and its embedded native parts load, taken from this
# machine's Debian packages (libc6, libstdc++6, libgcc-s1), a passwd entry for the non-root user
# 65532, and an empty /tmp, as one layer. Same entrypoint, user, env and ports as ../Dockerfile.
# Output: dist/edgeserve-oci.tar, an OCI image layout archive (`skopeo copy
# oci-archive:dist/edgeserve-oci.tar docker://REGISTRY/edgeserve:0.1.0`, `podman load -i …`).
# Deterministic: fixed mtimes and owners, so the same inputs give the same digests.
#   scripts/build-oci.sh            uses dist/edgeserve (run npm run build:binary first)
#   OUT=path TAG=x scripts/build-oci.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bin=dist/edgeserve
out=${OUT:-dist/edgeserve-oci.tar}
tag=${TAG:-$(node -p 'require("./package.json").version')}
[ -x "$bin" ] || { echo "missing $bin: run npm run build:binary first" >&2; exit 1; }
[ "$(uname -m)" = x86_64 ] || { echo "this script packs x86_64 libraries; run it on x86_64" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
# proc, dev, sys: mount points the container runtime fills.
mkdir -p "$root/usr/local/bin" "$root/etc" "$root/tmp" "$root/mnt/models" "$root/proc" "$root/dev" "$root/sys"
chmod 1777 "$root/tmp"
install -m 0555 "$bin" "$root/usr/local/bin/edgeserve"

# Libraries: what the binary links, and what the native parts it writes out at start link
# (ONNX Runtime: libstdc++, libgcc_s; the canvas addon), resolved on this machine.
objects=("$bin" node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1)
for n in node_modules/@napi-rs/canvas-linux-x64-gnu/*.node; do objects+=("$n"); done
for o in "${objects[@]}"; do
  ldd "$o" | awk '/=> \//{print $3} /^[ \t]*\/lib/{print $1}'
done | sort -u | while read -r lib; do
  real=$(readlink -f "$lib")
  mkdir -p "$root$(dirname "$lib")"
  cp "$real" "$root$lib"
done

printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/tmp:/sbin/nologin\n' > "$root/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' > "$root/etc/group"

blobs=$work/layout/blobs/sha256
mkdir -p "$blobs"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$root" -cf "$work/layer.tar" .
diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
gzip -n -1 -c "$work/layer.tar" > "$work/layer.tar.gz"
layer=$(sha256sum "$work/layer.tar.gz" | cut -d' ' -f1)
layer_size=$(stat -c %s "$work/layer.tar.gz")
mv "$work/layer.tar.gz" "$blobs/$layer"

cat > "$work/config.json" <<JSON
{"architecture":"amd64","os":"linux","config":{"User":"65532:65532","Env":["PATH=/usr/local/bin:/usr/bin:/bin","HOME=/tmp"],"Entrypoint":["/usr/local/bin/edgeserve"],"Cmd":["serve","--port=8080","--grpc-port=9000"],"ExposedPorts":{"8080/tcp":{},"9000/tcp":{}},"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:$diff_id"]},"history":[{"created":"1970-01-01T00:00:00Z","created_by":"scripts/build-oci.sh"}]}
JSON
config=$(sha256sum "$work/config.json" | cut -d' ' -f1)
config_size=$(stat -c %s "$work/config.json")
mv "$work/config.json" "$blobs/$config"

cat > "$work/manifest.json" <<JSON
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:$config","size":$config_size},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:$layer","size":$layer_size}]}
JSON
manifest=$(sha256sum "$work/manifest.json" | cut -d' ' -f1)
manifest_size=$(stat -c %s "$work/manifest.json")
mv "$work/manifest.json" "$blobs/$manifest"

printf '{"imageLayoutVersion":"1.0.0"}' > "$work/layout/oci-layout"
cat > "$work/layout/index.json" <<JSON
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:$manifest","size":$manifest_size,"annotations":{"org.opencontainers.image.ref.name":"$tag"}}]}
JSON
mkdir -p "$(dirname "$out")"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work/layout" -cf "$out" .
echo "wrote $out: edgeserve:$tag, manifest sha256:$manifest, layer $((layer_size / 1024 / 1024)) MiB gzip"

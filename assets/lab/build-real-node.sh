#!/usr/bin/env bash
# Builds what `kubetutor lab up --real-node` needs on top of the control plane
# (build.sh): kubelet and kube-proxy (same Kubernetes as the lab), containerd,
# runc, the CNI plugins bridge/host-local/loopback, CoreDNS, and two images
# made here without any registry (pause from node/pause/pause.c; a toolbox of
# Debian's static busybox plus Debian's curl and its libraries). Everything Go
# is built from its published module, pinned by node/*/go.{mod,sum}.
#
# Output, keyed by every input (so the default lab's build.sh key never moves):
#
#   ${KUBETUTOR_REAL_NODE_CACHE:-${XDG_CACHE_HOME:-~/.cache}/kubetutor/real-node}/<key>/
#       bin/     kubelet kube-proxy containerd containerd-shim-runc-v2 ctr runc coredns
#       cni/     bridge host-local loopback
#       images/  pause.tar toolbox.tar (OCI layouts for `ctr images import`), images.env
#
# Prints that folder on its last line of stdout. With --check it builds and
# installs nothing: prints the folder, exits 0 when complete, 3 when not.
#
# Installs the Debian packages it needs with apt-get when missing (root only):
# iptables, libseccomp-dev and pkg-config (runc's seccomp), busybox-static and
# curl (the toolbox image), conntrack (kube-proxy's stale-entry cleanup).
set -euo pipefail

lab_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
node_dir="$lab_dir/node"
# shellcheck source=versions.env
source "$lab_dir/versions.env"
# shellcheck source=node/versions.env
source "$node_dir/versions.env"

check_only=false
case "${1:-}" in
--check) check_only=true ;;
"") ;;
*)
    printf 'real-node build: unknown argument %s (usage: build-real-node.sh [--check])\n' "$1" >&2
    exit 2
    ;;
esac
again=${KUBETUTOR_REAL_NODE_BUILD_COMMAND:-assets/lab/build-real-node.sh}

say() { printf 'real-node build: %s\n' "$*" >&2; }
die() {
    printf 'real-node build: error: %s\n' "$*" >&2
    exit 1
}

command -v go >/dev/null 2>&1 ||
    die "Go is not installed or not on PATH. Install Go ${GO_MIN} or newer and run $again again."
export GOTOOLCHAIN=local
go_version=$(go env GOVERSION)

debian_packages=(iptables libseccomp-dev pkg-config busybox-static curl conntrack)
missing_packages() {
    local p
    for p in "${debian_packages[@]}"; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || printf '%s\n' "$p"
    done
}
package_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo none; }

# The key covers every pin, this script, the sources of our own two programs,
# the Go version and the Debian packages copied into the toolbox image.
key_input=$(
    cat "$0" "$lab_dir/versions.env" "$node_dir/versions.env" "$node_dir"/*/go.{mod,sum} \
        "$node_dir/coredns/main.go" "$node_dir/pause/pause.c"
    echo "$go_version busybox-static=$(package_version busybox-static) curl=$(package_version curl)"
)
key="${KUBERNETES_VERSION}-$(printf '%s' "$key_input" | sha256sum | cut -c1-12)"
cache_root="${KUBETUTOR_REAL_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubetutor/real-node}"
out="$cache_root/$key"

bins=(kubelet kube-proxy containerd containerd-shim-runc-v2 ctr runc coredns)
plugins=(bridge host-local loopback)
artifacts=("${bins[@]/#/bin/}" "${plugins[@]/#/cni/}" images/pause.tar images/toolbox.tar images/images.env)
missing() {
    local a
    for a in "$@"; do [ -s "$out/$a" ] || return 0; done
    return 1
}
if [ -z "$(missing_packages)" ] && ! missing "${artifacts[@]}"; then
    say "real-node binaries and images already built in $out"
    echo "$out"
    exit 0
fi
if $check_only; then
    pk=$(missing_packages | tr '\n' ' ')
    say "not built yet: $out${pk:+ (Debian packages missing: $pk)}"
    echo "$out"
    exit 3
fi

started=$(date +%s)
step() {
    local name=$1
    shift
    say "$name: $*"
    local t0
    t0=$(date +%s)
    if ! "$@" >&2; then
        die "$name failed (command: $*). If a module could not be downloaded, check that the Go module proxy ($(go env GOPROXY)) is reachable, then run $again again."
    fi
    say "$name: done in $(($(date +%s) - t0)) s"
}

to_install=$(missing_packages | tr '\n' ' ')
if [ -n "${to_install// /}" ]; then
    [ "$(id -u)" = 0 ] || die "the Debian packages $to_install are missing; install them (apt-get install $to_install) or run $again as root"
    step "Debian packages ($to_install)" bash -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $to_install >/dev/null"
    # The toolbox's versions are part of the key: compute it again.
    exec bash "$0" "$@"
fi

mkdir -p "$out/bin" "$out/cni" "$out/images"
tmp=$(mktemp -d "$out/tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
install_into() {
    local dest=$1 a
    shift
    for a in "$@"; do
        [ -s "$tmp/$a" ] || die "build finished but $a is missing from $tmp"
        mv -f "$tmp/$a" "$out/$dest/$a"
    done
}

major=${KUBERNETES_VERSION#v}
major=${major%%.*}
minor=${KUBERNETES_VERSION#v*.}
minor=${minor%%.*}
build_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
kube_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    kube_ldflags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION"
    kube_ldflags+=" -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    kube_ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
done

# runc needs cgo for seccomp (libseccomp-dev); everything else is static Go.
if missing bin/runc; then
    (cd "$node_dir/runc" && CGO_ENABLED=1 step "runc ${RUNC_VERSION}" go build -trimpath -tags "seccomp urfave_cli_no_docs" \
        -ldflags "-s -w -X main.version=${RUNC_VERSION#v}" -o "$tmp/runc" github.com/opencontainers/runc)
    install_into bin runc
fi
if missing bin/containerd bin/containerd-shim-runc-v2 bin/ctr; then
    (cd "$node_dir/containerd" && CGO_ENABLED=0 step "containerd ${CONTAINERD_VERSION}" go build -trimpath -tags "no_btrfs no_devmapper no_zfs" \
        -ldflags "-s -w -X github.com/containerd/containerd/v2/version.Version=${CONTAINERD_VERSION}" -o "$tmp/" \
        github.com/containerd/containerd/v2/cmd/containerd github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2 \
        github.com/containerd/containerd/v2/cmd/ctr)
    install_into bin containerd containerd-shim-runc-v2 ctr
fi
if missing "${plugins[@]/#/cni/}"; then
    (cd "$node_dir/cni" && CGO_ENABLED=0 step "CNI plugins ${CNI_PLUGINS_VERSION}" go build -trimpath \
        -ldflags "-s -w -X github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion=${CNI_PLUGINS_VERSION}" -o "$tmp/" \
        github.com/containernetworking/plugins/plugins/main/bridge github.com/containernetworking/plugins/plugins/main/loopback \
        github.com/containernetworking/plugins/plugins/ipam/host-local)
    install_into cni "${plugins[@]}"
fi
if missing bin/coredns; then
    (cd "$node_dir/coredns" && CGO_ENABLED=0 step "CoreDNS ${COREDNS_VERSION}" go build -trimpath -ldflags "-s -w" -o "$tmp/coredns" .)
    install_into bin coredns
fi
if missing bin/kubelet bin/kube-proxy; then
    (cd "$node_dir/kube" && CGO_ENABLED=0 step "kubelet and kube-proxy ${KUBERNETES_VERSION} (the longest step)" go build -trimpath \
        -ldflags "$kube_ldflags" -o "$tmp/" k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy)
    install_into bin kubelet kube-proxy
fi

# --- Images: OCI image layouts written by hand, imported with `ctr images import`.
sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }
# blob FILE: moves FILE into the layout's blob store ($d) under its digest and
# prints "DIGEST SIZE".
blob() {
    local digest bytes
    digest=$(sha "$1")
    bytes=$(size "$1")
    mv "$1" "$d/blobs/sha256/$digest"
    echo "$digest $bytes"
}
# oci_image NAME ROOTFS OUT.tar CMD_JSON LABELS_JSON
oci_image() {
    local name=$1 rootfs=$2 tar_out=$3 cmd=$4 labels=$5
    local d
    d=$(mktemp -d "$tmp/oci.XXXXXX")
    mkdir -p "$d/blobs/sha256"
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$rootfs" -cf "$d/layer.tar" .
    local diff_id
    diff_id=$(sha "$d/layer.tar")
    gzip -n -9 "$d/layer.tar"
    local layer_digest layer_size
    read -r layer_digest layer_size < <(blob "$d/layer.tar.gz")
    printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":%s,"Labels":%s},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
        "$cmd" "$labels" "$diff_id" >"$d/config.json"
    local config_digest config_size
    read -r config_digest config_size < <(blob "$d/config.json")
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
        "$config_digest" "$config_size" "$layer_digest" "$layer_size" >"$d/manifest.json"
    local manifest_digest manifest_size
    read -r manifest_digest manifest_size < <(blob "$d/manifest.json")
    printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
        "$manifest_digest" "$manifest_size" "$name" "${name##*:}" >"$d/index.json"
    printf '{"imageLayoutVersion":"1.0.0"}' >"$d/oci-layout"
    tar --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$d" -cf "$tar_out" oci-layout index.json blobs
}

if missing images/pause.tar; then
    say "pause image $PAUSE_IMAGE"
    root="$tmp/pause-root"
    mkdir -p "$root"
    gcc -static -Os -s -o "$root/pause" "$node_dir/pause/pause.c" || die "gcc could not build the pause program (gcc and the static libc, libc6-dev, are needed)"
    oci_image "$PAUSE_IMAGE" "$root" "$tmp/pause.tar" '["/pause"]' '{"org.opencontainers.image.description":"kubetutor lab pause process (node/pause/pause.c)"}'
    install_into images pause.tar
fi
if missing images/toolbox.tar; then
    busybox_version=$(package_version busybox-static)
    curl_version=$(package_version curl)
    say "toolbox image $TOOLBOX_IMAGE (Debian busybox-static $busybox_version, curl $curl_version)"
    root="$tmp/toolbox-root"
    mkdir -p "$root"/{bin,usr/bin,etc,tmp,root}
    chmod 1777 "$root/tmp"
    cp /bin/busybox "$root/bin/busybox"
    for applet in $("$root/bin/busybox" --list); do
        [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
    done
    cp "$(command -v curl)" "$root/usr/bin/curl"
    # curl's shared libraries and the dynamic loader, at the paths ldd names.
    for lib in $(ldd "$(command -v curl)" | grep -o '/[^ ]*'); do
        mkdir -p "$root$(dirname "$lib")"
        cp -L "$lib" "$root$lib"
    done
    # glibc's DNS needs nothing beyond libc (NSS files and dns are built in since 2.34).
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
    printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
    oci_image "$TOOLBOX_IMAGE" "$root" "$tmp/toolbox.tar" '["/bin/sh"]' \
        "{\"org.opencontainers.image.description\":\"kubetutor lab toolbox: Debian busybox-static $busybox_version and curl $curl_version with its libraries\"}"
    install_into images toolbox.tar
fi
if missing images/images.env; then
    {
        printf 'PAUSE_IMAGE=%s\n' "$PAUSE_IMAGE"
        printf 'TOOLBOX_IMAGE=%s\n' "$TOOLBOX_IMAGE"
        printf 'TOOLBOX_DESCRIPTION=%s\n' "Debian busybox-static $(package_version busybox-static) + curl $(package_version curl)"
    } >"$tmp/images.env"
    install_into images images.env
fi
say "real-node binaries and images ready in $out ($(($(date +%s) - started)) s)"
echo "$out"

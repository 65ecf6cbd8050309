# Sourced by the image builds (scripts/build-demo-image.sh, deploy/image/build-image.sh):
# node_rootfs DIR NODE_BIN puts this machine's node binary at DIR/node with every shared library
# it links (from ldd, at the path the dynamic loader looks for it, the loader included), and the
# minimal identity files node asks for (os.userInfo, DNS of "localhost"). No registry, no base image.
node_rootfs() {
  local dir=$1 node_bin=$2 lib
  mkdir -p "$dir/tmp" "$dir/etc"
  chmod 1777 "$dir/tmp"
  cp "$node_bin" "$dir/node"
  ldd "$node_bin" | grep -oE '/[^ ]+' | sort -u | while read -r lib; do
    mkdir -p "$dir$(dirname "$lib")"
    cp -L "$lib" "$dir$lib"
  done
  printf 'root:x:0:0:root:/:/node\nnobody:x:65534:65534:nobody:/:/node\n' > "$dir/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$dir/etc/group"
  printf '127.0.0.1 localhost\n::1 localhost\n' > "$dir/etc/hosts"
}

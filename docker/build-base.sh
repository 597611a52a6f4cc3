#!/usr/bin/env bash
# Build the three base images of the container stack without any image registry: each is a Debian bookworm root
# file system made by debootstrap from Debian's package mirror and loaded with `docker import`.
#   integrity-base:bookworm      Python 3.11 (Debian's) + venv, OCR (tesseract + chi_sim), poppler, CJK fonts, pango
#   integrity-postgres:bookworm  Debian's postgresql-15, started by docker/postgres-entrypoint.sh
#   integrity-redis:bookworm     Debian's redis-server (7.0)
# An image that already exists is not rebuilt (FORCE=1 rebuilds). A user who can pull from a registry does not need
# this script: the Dockerfile's default base is python:3.11-slim-bookworm and the compose file can point
# INTEGRITY_POSTGRES_IMAGE / INTEGRITY_REDIS_IMAGE at postgres:15-bookworm / redis:7-bookworm.
# Usage: docker/build-base.sh [base|postgres|redis ...]   (default: all three)
set -euo pipefail
cd "$(dirname "$0")/.."
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
WORK=${BUILD_BASE_DIR:-/var/tmp/integrity-rootfs}
CACHE=$WORK/debs   # .deb cache shared by the three debootstraps
mkdir -p "$CACHE"

declare -A PACKAGES=(
  [base]="python3 python3-venv ca-certificates tesseract-ocr tesseract-ocr-chi-sim poppler-utils fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 fontconfig"
  [postgres]="postgresql-15"
  [redis]="redis-server"
)

image_name() { echo "integrity-$1:$SUITE"; }

# Remove what a container never needs: package lists, docs, man pages, locales other than C/zh_CN.
slim() {
  local root=$1
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/log/*.log \
    "$root"/tmp/* "$root"/var/tmp/*
  find "$root"/usr/share/locale -mindepth 1 -maxdepth 1 ! -name 'zh_CN' ! -name 'locale.alias' -exec rm -rf {} + \
    2>/dev/null || true
}

build_one() {
  local name=$1 image root changes=()
  image=$(image_name "$name")
  if [ -z "${FORCE:-}" ] && docker image inspect "$image" >/dev/null 2>&1; then
    echo "build-base: $image exists, skipping (FORCE=1 rebuilds)"
    return
  fi
  root=$WORK/$name
  rm -rf "$root"
  local t0=$SECONDS
  echo "build-base: debootstrap $SUITE ($name) into $root"
  debootstrap --variant=minbase --components=main --cache-dir="$CACHE" \
    --include="${PACKAGES[$name]// /,}" "$SUITE" "$root" "$MIRROR"
  # The image's apt points at the same mirror, so `apt-get install` works in a derived image where there is network.
  printf 'deb %s %s main\ndeb %s %s-updates main\n' "$MIRROR" "$SUITE" "$MIRROR" "$SUITE" >"$root/etc/apt/sources.list"
  case $name in
    base)
      changes=(--change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]')
      ;;
    postgres)
      install -m 0755 docker/postgres-entrypoint.sh "$root/usr/local/bin/postgres-entrypoint.sh"
      # the cluster Debian's package created is not used: the entrypoint initialises $PGDATA on the volume
      rm -rf "$root"/var/lib/postgresql/15/main "$root"/etc/postgresql/15/main
      # the volume mount point must exist and belong to postgres: a new named volume takes its owner from here
      mkdir -p "$root/var/run/postgresql" "$root/var/lib/postgresql/data"
      chroot "$root" chown postgres:postgres /var/run/postgresql /var/lib/postgresql/data
      chmod 0700 "$root/var/lib/postgresql/data"
      changes=(--change 'ENV LANG=C.UTF-8' --change 'ENV PGDATA=/var/lib/postgresql/data'
        --change 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
        --change 'USER postgres' --change 'EXPOSE 5432' --change 'VOLUME /var/lib/postgresql/data'
        --change 'ENTRYPOINT ["/usr/local/bin/postgres-entrypoint.sh"]' --change 'CMD ["postgres"]')
      ;;
    redis)
      mkdir -p "$root/data" && chroot "$root" chown redis:redis /data
      changes=(--change 'USER redis' --change 'WORKDIR /data' --change 'EXPOSE 6379' --change 'VOLUME /data'
        --change 'CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--dir", "/data"]')
      ;;
  esac
  slim "$root"
  echo "build-base: docker import $image"
  tar -C "$root" --numeric-owner -c . | docker import "${changes[@]}" - "$image"
  rm -rf "$root"
  echo "build-base: $image built in $((SECONDS - t0)) s ($(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}'))"
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(base postgres redis)
for t in "${targets[@]}"; do
  [ -n "${PACKAGES[$t]:-}" ] || { echo "build-base: unknown image '$t' (base, postgres, redis)" >&2; exit 2; }
  build_one "$t"
done

# The Perimeter Guard image: a static (musl) release binary on distroless/static, running as the
# non-root user 65532 the chart's securityContext expects. No shell, no libc, nothing else.
#   docker build -t <registry>/perimeter-guard:<version> .
# The same toolchain as rust-toolchain.toml pins, so the musl target below is added to it.
FROM rust:1.95.0-bookworm AS build
RUN rustup target add x86_64-unknown-linux-musl \
 && apt-get update && apt-get install -y --no-install-recommends musl-tools \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# ring and mimalloc compile C: musl-gcc links them statically. scripts/static-build.sh runs this
# same build outside a container, and tests/integration/static_binary.rs tests its result.
ENV CC_x86_64_unknown_linux_musl=musl-gcc
RUN cargo build --release --locked --target x86_64-unknown-linux-musl --bin perimeter-guard

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /src/target/x86_64-unknown-linux-musl/release/perimeter-guard /usr/local/bin/perimeter-guard
# mimalloc returns freed pages at once rather than 10 ms later: a burst of large policy analyses
# peaks far lower, for a few percent of CPU on them. It asks for no transparent huge pages:
# the kernel would fill each 2 MiB page its arenas touch, and the server's memory doubled
# (docs/performance.md).
ENV MIMALLOC_PURGE_DELAY=0 MIMALLOC_ALLOW_THP=0
USER 65532:65532
EXPOSE 8443 8080
ENTRYPOINT ["/usr/local/bin/perimeter-guard"]
CMD ["serve"]

# The Perimeter Guard image: the release binary on a distroless base, running as the non-root
# user 65532 the chart's securityContext expects.
#   docker build -t <registry>/perimeter-guard:<version> .
FROM rust:1.89-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin perimeter-guard

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/perimeter-guard /usr/local/bin/perimeter-guard
USER 65532:65532
EXPOSE 8443 8080
ENTRYPOINT ["/usr/local/bin/perimeter-guard"]
CMD ["serve"]

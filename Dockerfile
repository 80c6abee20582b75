# Roster in a container: a static, CGO-free binary on a distroless base,
# running as a non-root user, with its SQLite data in /data.
#
#   docker build -t roster .
#   docker run -p 8080:8080 -v roster-data:/data roster serve --demo
#
# For PostgreSQL, set ROSTER_DATABASE_URL (see compose.yaml).

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/roster ./cmd/roster \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/roster /roster
COPY --from=build --chown=65532:65532 /out/data /data
ENV ROSTER_DATA=/data \
    ROSTER_ADDR=0.0.0.0:8080 \
    ROSTER_LOG_FORMAT=json
USER 65532:65532
VOLUME /data
EXPOSE 8080
# No shell or curl in the image: the binary asks its own /readyz.
HEALTHCHECK --interval=10s --timeout=5s --start-period=120s --retries=3 \
  CMD ["/roster", "healthcheck"]
ENTRYPOINT ["/roster"]
CMD ["serve"]

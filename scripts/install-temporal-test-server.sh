#!/usr/bin/env bash
# Installs Temporal's time-skipping test server, which workflow tests (tests/workflows) use so that timers and
# activity timeouts pass in milliseconds. @temporalio/testing would download a native build of it from GitHub;
# this installs the same server from Maven Central instead (the io.temporal:temporal-test-server jar and its
# dependencies), which works wherever Maven Central is reachable. Needs Java 17+ and Maven (installed with apt when
# missing and running as root). Safe to run again.
# Result: jars in .tools/temporal-test-server/<version>/lib and the wrapper .tools/bin/temporal-test-server.
set -euo pipefail
TEST_SERVER_VERSION="${TEMPORAL_TEST_SERVER_VERSION:-1.38.0}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${DATACREEK_TOOLS_DIR:-$ROOT/.tools}"
INSTALL_DIR="$TOOLS_DIR/temporal-test-server/$TEST_SERVER_VERSION"
WRAPPER="$TOOLS_DIR/bin/temporal-test-server"
MAIN_JAR="$INSTALL_DIR/lib/temporal-test-server-$TEST_SERVER_VERSION.jar"

if [ -f "$MAIN_JAR" ] && [ -x "$WRAPPER" ] && grep -q "temporal-test-server/$TEST_SERVER_VERSION\"" "$WRAPPER"; then
  echo "temporal test server: $WRAPPER ($TEST_SERVER_VERSION)"
  exit 0
fi
if ! command -v java >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Java 17 and Maven (apt) …"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless maven >/dev/null
  else
    echo "The Temporal test server needs Java 17+ and Maven (Debian/Ubuntu: sudo apt-get install openjdk-17-jre-headless maven)." >&2
    exit 1
  fi
fi

echo "Installing the Temporal test server $TEST_SERVER_VERSION from Maven Central into $INSTALL_DIR …"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>datacreek</groupId>
  <artifactId>temporal-test-server-install</artifactId>
  <version>1</version>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>$TEST_SERVER_VERSION</version>
    </dependency>
  </dependencies>
</project>
POM
mkdir -p "$tmp/lib"
mvn -q -B -Dstyle.color=never -f "$tmp/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp/lib"
# Install atomically: a half-copied lib/ must never look like a finished install.
mkdir -p "$(dirname "$INSTALL_DIR")" "$TOOLS_DIR/bin"
rm -rf "$INSTALL_DIR.partial" && mkdir -p "$INSTALL_DIR.partial" && mv "$tmp/lib" "$INSTALL_DIR.partial/lib"
rm -rf "$INSTALL_DIR" && mv "$INSTALL_DIR.partial" "$INSTALL_DIR"

# The SDK gives the server 5 s to answer, and a cold JVM loading these jars takes longer than that on a busy
# machine. A class-data-sharing archive of the classes the server loads (dumped here when a first run exits), the
# client compiler only and the serial collector bring the start to about a second; -Xshare:auto ignores a missing
# or stale archive.
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
java -XX:ArchiveClassesAtExit="$INSTALL_DIR/server.jsa" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
  -cp "$INSTALL_DIR/lib/*" io.temporal.testserver.TestServer "$port" >"$tmp/archive.log" 2>&1 &
server=$!
for _ in $(seq 1 600); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || { cat "$tmp/archive.log" >&2; echo "the test server did not start" >&2; exit 1; }
  sleep 0.1
done
sleep 2
kill -TERM "$server"
wait "$server" || true
[ -f "$INSTALL_DIR/server.jsa" ] || echo "note: no class-data-sharing archive was written; the server will start more slowly" >&2

# The SDK starts the server as `<executable> <port> [extra args]`; exec makes the PID the SDK kills the JVM's.
# The jars are found relative to the wrapper, so the tools folder can be moved or reached through a symlink.
cat >"$WRAPPER.partial" <<WRAP
#!/usr/bin/env sh
here="\$(cd "\$(dirname "\$0")/.." && pwd)/temporal-test-server/$TEST_SERVER_VERSION"
exec java -Xshare:auto -XX:SharedArchiveFile="\$here/server.jsa" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \\
  -cp "\$here/lib/*" io.temporal.testserver.TestServer "\$@"
WRAP
chmod +x "$WRAPPER.partial" && mv "$WRAPPER.partial" "$WRAPPER"
echo "temporal test server: $WRAPPER ($TEST_SERVER_VERSION)"

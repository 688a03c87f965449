#!/usr/bin/env bash
# The toolkit's cold build beside its anchor: `cargo build -p xtask` from an empty target
# directory, and the same for a probe crate that uses only the crates the design names
# (cargo_metadata, clap, handlebars, serde, serde_json, tempfile, toml_edit, xshell), each
# once, at the versions and with the features this workspace's lock file and manifests
# give them, under the same profile. The dependencies' sources are fetched first and not
# timed, as a user's second clone has them. Rounds are interleaved, so that the machine's
# drift touches both alike; prints each median, the range and the ratio, then what each
# unit the probe does not build took to compile in the last round (cargo's --timings):
# the toolkit's own crates, and the dependencies beyond the design's.
#
#   toolkit/benches/cold-build.sh [ROUNDS]   (default 3)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds="${1:-3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The version the lock file resolves for NAME (the workspace has one of each).
locked() {
  awk -v name="$1" '$0 == "name = \"" name "\"" { getline; gsub(/version = |"/, ""); print; exit }' \
    "$root/Cargo.lock"
}

probe="$work/probe"
mkdir -p "$probe/src"
cat >"$probe/Cargo.toml" <<TOML
[package]
name = "probe"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
cargo_metadata = "=$(locked cargo_metadata)"
clap = { version = "=$(locked clap)", features = ["derive"] }
handlebars = "=$(locked handlebars)"
serde = { version = "=$(locked serde)", features = ["derive"] }
serde_json = "=$(locked serde_json)"
tempfile = "=$(locked tempfile)"
toml_edit = { version = "=$(locked toml_edit)", features = ["serde"] }
xshell = "=$(locked xshell)"

$(sed -n '/^\[profile/,$p' "$root/Cargo.toml")
TOML
cat >"$probe/src/main.rs" <<'RUST'
use clap::Parser;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "probe")]
    name: String,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Data {
    name: String,
}

fn main() {
    let args = Args::parse();
    let data = Data { name: args.name };
    let json = serde_json::to_string(&data).unwrap();
    let text = handlebars::Handlebars::new()
        .render_template("{{name}}", &data)
        .unwrap();
    let doc: toml_edit::DocumentMut = format!("name = {json:?}").parse().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let shell = xshell::Shell::new().unwrap();
    shell.change_dir(dir.path());
    let metadata = cargo_metadata::MetadataCommand::new().no_deps().exec();
    println!("{text} {doc} {}", metadata.is_ok());
}
RUST
# The probe resolves from the workspace's lock file: the same versions of everything.
cp "$root/Cargo.lock" "$probe/Cargo.lock"

echo "fetching both builds' sources (not timed)" >&2
cargo fetch --quiet --manifest-path "$root/Cargo.toml"
cargo fetch --quiet --manifest-path "$probe/Cargo.toml"

# SECONDS TAKEN by `cargo build` in DIR with ARGS, from an empty target directory.
timed() {
  local target="$1"
  shift
  rm -rf "$target"
  local start end
  start="$(date +%s%N)"
  cargo build --quiet --offline --target-dir "$target" "$@"
  end="$(date +%s%N)"
  echo $(((end - start) / 1000000))
}

xtask_ms=() probe_ms=()
for ((round = 1; round <= rounds; round++)); do
  timings=()
  ((round == rounds)) && timings=(--timings)
  xtask_ms+=("$(timed "$work/target-xtask" --manifest-path "$root/Cargo.toml" -p xtask "${timings[@]}")")
  probe_ms+=("$(timed "$work/target-probe" --manifest-path "$probe/Cargo.toml" "${timings[@]}")")
  echo "round $round: xtask ${xtask_ms[-1]} ms, probe ${probe_ms[-1]} ms" >&2
done

median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
range() { printf '%s\n' "$@" | sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo "–" hi }'; }
xm="$(median "${xtask_ms[@]}")"
pm="$(median "${probe_ms[@]}")"
echo "cold debug build, median of $rounds interleaved rounds:"
echo "  xtask  $xm ms ($(range "${xtask_ms[@]}") ms)"
echo "  probe  $pm ms ($(range "${probe_ms[@]}") ms)"
awk -v x="$xm" -v p="$pm" 'BEGIN { printf "  ratio  %.2f× the probe\n", x / p }'

# The units of the last xtask build that the probe's does not have, with what each took
# (seconds of one core; two compile at once), from cargo's timing reports.
python3 - "$work/target-xtask/cargo-timings/cargo-timing.html" \
  "$work/target-probe/cargo-timings/cargo-timing.html" <<'UNITS'
import json, sys

def units(report):
    text = open(report).read()
    start = text.index("UNIT_DATA = ") + len("UNIT_DATA = ")
    data = json.loads(text[start : text.index("];", start) + 1])
    return {(u["name"], u["target"], u["mode"]): u["duration"] for u in data}

xtask, probe = units(sys.argv[1]), units(sys.argv[2])
extra = sorted(((d, k) for k, d in xtask.items() if k not in probe), reverse=True)
print(f"units the probe does not build: {sum(d for d, _ in extra):.1f} s of compile in all")
for duration, (name, target, mode) in extra:
    what = f"{name}{target}" + (" (build script)" if mode.startswith("run") else "")
    print(f"  {duration:6.2f}  {what}")
UNITS

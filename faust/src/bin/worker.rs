//! Standalone FAUST compile worker (see `kr_faust::worker`). `krd` runs the same loop through a
//! hidden subcommand; this binary exists so kr-faust's own tests supervise a real process.
fn main() {
    std::process::exit(kr_faust::worker::run_stdio());
}

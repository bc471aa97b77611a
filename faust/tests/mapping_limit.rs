//! The mapping guard, in a test binary of its own: it counts the whole process's memory
//! mappings, so tests compiling in other threads of the same process would move its count.

mod common;
use kr_faust::{CompileService, CompilerSettings};
use std::time::Duration;

/// libfaust keeps a few memory mappings of every program it loads; near the kernel's limit the
/// service refuses to load more, saying why, instead of letting the engine crash.
#[test]
fn loads_are_refused_before_the_mapping_limit_and_loaded_programs_still_work() {
    let limit = kr_faust::maps::count() + 200;
    let settings = CompilerSettings { max_maps: Some(limit), ..common::settings(Duration::from_secs(20), false, None) };
    let svc = CompileService::start(settings);
    let first = svc.compile("p0", "process = 0.0;").expect("far from the limit");
    let mut refused = None;
    for i in 1..200 {
        match svc.compile(&format!("p{i}"), &format!("process = {i}.0;")) {
            Ok(f) => drop(f),
            Err(e) => {
                refused = Some((i, e.to_string()));
                break;
            }
        }
    }
    let (i, message) = refused.expect("the limit was reached");
    assert!(message.contains("vm.max_map_count") && message.contains("Restart krd"), "{message}");
    assert!(kr_faust::maps::count() <= limit, "{} mappings after {i} loads", kr_faust::maps::count());
    let again = svc.compile("again", "process = 0.0;").expect("a program already loaded is no new load");
    assert!(std::sync::Arc::ptr_eq(&first, &again));
}

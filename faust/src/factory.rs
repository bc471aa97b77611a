//! `Factory`: one compiled FAUST program. Made either by compiling source in this process (the
//! worker does that) or by loading machine code the worker returned (the engine does that).

use crate::controls::{Collector, ControlSpec, MetaCollector};
use crate::error::CompileError;
use crate::lanes::Lanes;
use crate::{ffi, lock, Instance, MAX_CHANNELS};
use std::ffi::{CStr, CString};
use std::os::raw::c_char;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The shape of a compiled program: channels, controls and metadata.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DspInfo {
    pub inputs: usize,
    pub outputs: usize,
    pub controls: Vec<ControlSpec>,
    pub meta: Vec<(String, String)>,
}

impl DspInfo {
    /// Index of a control by label or path (`cutoff` or `filter/cutoff`).
    pub fn control_index(&self, name: &str) -> Option<usize> {
        self.controls.iter().position(|c| c.path == name).or_else(|| self.controls.iter().position(|c| c.label == name))
    }
}

/// A compiled FAUST program. Instances keep their factory alive through an `Arc`.
pub struct Factory {
    ptr: NonNull<ffi::llvm_dsp_factory>,
    name: String,
    info: DspInfo,
    /// Memory one instance takes, as the compile worker measured it (0: not measured).
    instance_bytes: u64,
    /// The same voice in lanes, once compiled (see [`crate::lanes`]).
    lanes: std::sync::OnceLock<Lanes>,
}

// SAFETY: the factory pointer is only used through libfaust calls made under `lock::factory_api`,
// and libfaust's factories are immutable once built. Moving or sharing the handle between threads
// is therefore sound.
unsafe impl Send for Factory {}
// SAFETY: see `Send`; `&Factory` exposes no unsynchronised mutation.
unsafe impl Sync for Factory {}

impl std::fmt::Debug for Factory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Factory").field("name", &self.name).field("info", &self.info).finish()
    }
}

fn c_string(what: &str, s: &str, name: &str) -> Result<CString, CompileError> {
    CString::new(s)
        .map_err(|_| CompileError::Faust { name: name.into(), message: format!("{what} contains a NUL byte") })
}

fn error_text(buf: &[c_char]) -> String {
    // SAFETY: libfaust writes a NUL-terminated message into the zeroed 4096-byte buffer; the
    // buffer's last byte is never written, so a terminator always exists.
    unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().trim().to_string()
}

impl Factory {
    /// Compile FAUST source with libfaust's LLVM backend, in this process.
    ///
    /// libfaust `chdir`s the process and forks `which faust` while compiling: call this only in
    /// the compile worker process, never in the engine.
    pub fn compile(name: &str, source: &str, args: &[String]) -> Result<Factory, CompileError> {
        let target = crate::target::machine_target_c();
        // Unoptimised first: the IR is optimised once, with the instance `noalias`; should that
        // fail, the program is compiled again the plain way, optimised.
        let plain = Self::create(name, source, args, &target, 0)?;
        let optimised = Self::optimised_noalias(plain, &target);
        delete_factory(plain);
        match optimised {
            Some(ptr) => Self::wrap(name, ptr),
            None => Self::wrap(name, Self::create(name, source, args, &target, -1)?),
        }
    }

    /// libfaust's compile of `source` at `opt_level` (-1: its highest).
    fn create(
        name: &str,
        source: &str,
        args: &[String],
        target: &CStr,
        opt_level: i32,
    ) -> Result<NonNull<ffi::llvm_dsp_factory>, CompileError> {
        let c_name = c_string("the name", name, name)?;
        let c_src = c_string("the source", source, name)?;
        let c_args: Vec<CString> = args.iter().map(|a| c_string("an argument", a, name)).collect::<Result<_, _>>()?;
        let argv: Vec<*const c_char> = c_args.iter().map(|a| a.as_ptr()).collect();
        let mut err = vec![0 as c_char; ffi::ERROR_BUF];
        let ptr = {
            let _g = lock::factory_api();
            // SAFETY: all strings are NUL-terminated and outlive the call; `err` has the
            // 4096 bytes libfaust requires; argv has argc valid entries.
            unsafe {
                ffi::createCDSPFactoryFromString(
                    c_name.as_ptr(),
                    c_src.as_ptr(),
                    argv.len() as i32,
                    argv.as_ptr(),
                    target.as_ptr(),
                    err.as_mut_ptr(),
                    opt_level,
                )
            }
        };
        NonNull::new(ptr).ok_or_else(|| CompileError::Faust { name: name.into(), message: error_text(&err) })
    }

    /// The factory built again from its IR, its compute function's instance marked `noalias`
    /// (see `crate::noalias`) and optimised at libfaust's highest level; `None` when libfaust
    /// gives no IR or cannot build it again. `factory` is kept either way: the caller releases it.
    fn optimised_noalias(
        factory: NonNull<ffi::llvm_dsp_factory>,
        target: &CStr,
    ) -> Option<NonNull<ffi::llvm_dsp_factory>> {
        let ir = ir_text(factory)?;
        let _g = lock::factory_api();
        let marked = crate::noalias::mark_instance_noalias(&ir).unwrap_or(ir);
        let c_ir = CString::new(marked).ok()?;
        let mut err = vec![0 as c_char; ffi::ERROR_BUF];
        // SAFETY: strings are NUL-terminated and outlive the call; `err` has 4096 bytes.
        let optimised = unsafe { ffi::readCDSPFactoryFromIR(c_ir.as_ptr(), target.as_ptr(), err.as_mut_ptr(), -1) };
        NonNull::new(optimised)
    }

    /// Load machine code produced by [`Factory::machine_code`] (well under a millisecond).
    pub fn from_machine_code(name: &str, code: &str) -> Result<Factory, CompileError> {
        let load_err = |message: String| CompileError::Load { name: name.into(), message };
        let c_code = CString::new(code).map_err(|_| load_err("machine code contains a NUL byte".into()))?;
        let target = crate::target::machine_target_c();
        let mut err = vec![0 as c_char; ffi::ERROR_BUF];
        let ptr = {
            let _g = lock::factory_api();
            // SAFETY: argument order is the library's (code, target, error), not the header's;
            // strings are NUL-terminated; `err` has 4096 bytes.
            unsafe { ffi::readCDSPFactoryFromMachine(c_code.as_ptr(), target.as_ptr(), err.as_mut_ptr()) }
        };
        match NonNull::new(ptr) {
            Some(ptr) => Self::wrap(name, ptr),
            None => Err(load_err(error_text(&err))),
        }
    }

    fn wrap(name: &str, ptr: NonNull<ffi::llvm_dsp_factory>) -> Result<Factory, CompileError> {
        FACTORY_LOADS.fetch_add(1, Ordering::Relaxed);
        let mut factory = Factory {
            ptr,
            name: name.into(),
            info: DspInfo { inputs: 0, outputs: 0, controls: vec![], meta: vec![] },
            instance_bytes: 0,
            lanes: std::sync::OnceLock::new(),
        };
        // Probe one instance for the program's shape; every instance has the same one.
        let probe = factory.raw_instance()?;
        let (inputs, outputs, controls, meta) = {
            // SAFETY: `probe` is a live instance of this factory, used by this thread only.
            let (ins, outs) = unsafe {
                (ffi::getNumInputsCDSPInstance(probe.as_ptr()), ffi::getNumOutputsCDSPInstance(probe.as_ptr()))
            };
            let described = describe(probe);
            if let Some(label) = described.soundfiles.first() {
                delete_instance(probe);
                return Err(CompileError::Unsupported {
                    name: name.into(),
                    message: format!(
                        "it uses soundfile(\"{label}\"); kr does not load sound files into FAUST programs"
                    ),
                });
            }
            let controls = described.controls.into_iter().map(|(spec, _)| spec).collect();
            let mut meta = MetaCollector::default();
            let mut glue = meta.glue();
            // SAFETY: `meta` outlives the call; `probe` is live.
            unsafe { ffi::metadataCDSPInstance(probe.as_ptr(), &mut glue) };
            (ins.max(0) as usize, outs.max(0) as usize, controls, meta.entries)
        };
        delete_instance(probe);
        if inputs > MAX_CHANNELS || outputs > MAX_CHANNELS {
            return Err(CompileError::Unsupported {
                name: name.into(),
                message: format!("{inputs} inputs and {outputs} outputs; kr runs at most {MAX_CHANNELS} of each"),
            });
        }
        factory.info = DspInfo { inputs, outputs, controls, meta };
        Ok(factory)
    }

    pub(crate) fn raw_instance(&self) -> Result<NonNull<ffi::llvm_dsp>, CompileError> {
        let _g = lock::factory_api();
        // SAFETY: the factory pointer is live for `self`'s lifetime.
        let p = unsafe { ffi::createCDSPInstance(self.ptr.as_ptr()) };
        NonNull::new(p).ok_or_else(|| CompileError::Load {
            name: self.name.clone(),
            message: "libfaust could not create an instance".into(),
        })
    }

    /// Memory one instance takes, as the compile worker measured it on a trial instance (0 when
    /// the factory did not come through the compile service).
    pub fn instance_bytes(&self) -> u64 {
        self.instance_bytes
    }

    pub(crate) fn with_instance_bytes(mut self, bytes: u64) -> Factory {
        self.instance_bytes = bytes;
        self
    }

    /// The voice in lanes, when its lanes program has been attached.
    pub fn lanes(&self) -> Option<&Lanes> {
        self.lanes.get()
    }

    /// Attach the voice's lanes program (checked by [`Lanes::new`]); the first attached stays.
    pub fn attach_lanes(&self, lanes: Lanes) {
        let _ = self.lanes.set(lanes);
    }

    /// The program's name as given at compile time.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Channels, controls and metadata.
    pub fn info(&self) -> &DspInfo {
        &self.info
    }

    /// Machine code for this host's CPU target, to be loaded by [`Factory::from_machine_code`].
    pub fn machine_code(&self) -> Result<String, CompileError> {
        let target = crate::target::machine_target_c();
        let _g = lock::factory_api();
        // SAFETY: live factory; the returned string is owned by us and freed with freeCMemory.
        let p = unsafe { ffi::writeCDSPFactoryToMachine(self.ptr.as_ptr(), target.as_ptr()) };
        if p.is_null() {
            return Err(CompileError::Load {
                name: self.name.clone(),
                message: "libfaust returned no machine code".into(),
            });
        }
        // SAFETY: `p` is a NUL-terminated string allocated by libfaust.
        let s = unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned();
        // SAFETY: `p` came from libfaust and is freed exactly once, as its API requires.
        unsafe { ffi::freeCMemory(p.cast()) };
        Ok(s)
    }

    /// A new instance, initialised at `sample_rate`, its controls at their initial values.
    pub fn instance(self: &Arc<Self>, sample_rate: u32) -> Result<Instance, CompileError> {
        Instance::new(Arc::clone(self), sample_rate)
    }
}

/// Walk an instance's UI: its controls with their zones, and any soundfiles.
fn describe(dsp: NonNull<ffi::llvm_dsp>) -> Collector {
    let mut c = Collector::default();
    let mut glue = c.glue();
    // SAFETY: `c` outlives the call and is accessed only through the glue during it.
    unsafe { ffi::buildUserInterfaceCDSPInstance(dsp.as_ptr(), &mut glue) };
    c
}

/// Walk an instance's UI and return each control with its zone.
pub(crate) fn describe_controls(dsp: NonNull<ffi::llvm_dsp>) -> Vec<(ControlSpec, *mut f32)> {
    describe(dsp).controls
}

/// A factory's LLVM IR as text (None when libfaust gives none).
fn ir_text(factory: NonNull<ffi::llvm_dsp_factory>) -> Option<String> {
    let _g = lock::factory_api();
    // SAFETY: live factory; the returned string is ours, freed with freeCMemory below.
    let p = unsafe { ffi::writeCDSPFactoryToIR(factory.as_ptr()) };
    if p.is_null() {
        return None;
    }
    // SAFETY: `p` is a NUL-terminated string allocated by libfaust.
    let ir = unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned();
    // SAFETY: `p` came from libfaust and is freed exactly once.
    unsafe { ffi::freeCMemory(p.cast()) };
    Some(ir)
}

/// Release one reference to a factory that no `Factory` owns (a step of [`Factory::compile`]).
fn delete_factory(factory: NonNull<ffi::llvm_dsp_factory>) {
    let _g = lock::factory_api();
    // SAFETY: the caller owns this reference, made no instance of it, and releases it once.
    unsafe { ffi::deleteCDSPFactory(factory.as_ptr()) };
}

pub(crate) fn delete_instance(dsp: NonNull<ffi::llvm_dsp>) {
    let _g = lock::factory_api();
    // SAFETY: the instance is live and this is its only deletion.
    unsafe { ffi::deleteCDSPInstance(dsp.as_ptr()) };
}

impl Drop for Factory {
    fn drop(&mut self) {
        let _g = lock::factory_api();
        // SAFETY: every instance holds an `Arc<Factory>`, so none outlives this; each factory
        // handle owns exactly one libfaust reference, released once here.
        unsafe { ffi::deleteCDSPFactory(self.ptr.as_ptr()) };
    }
}

static FACTORY_LOADS: AtomicU64 = AtomicU64::new(0);

/// How many factories this process has made (compiled or loaded from machine code). Each costs
/// memory libfaust 2.54.9 never returns (see [`crate::RECENT_FACTORIES`]), and the kernel's
/// `vm.max_map_count` (65530) caps a process at roughly 30 000 loads: worth reporting.
pub fn factory_loads() -> u64 {
    FACTORY_LOADS.load(Ordering::Relaxed)
}

/// libfaust's version string, e.g. "2.54.9".
pub fn libfaust_version() -> String {
    // SAFETY: returns a static NUL-terminated string.
    unsafe { CStr::from_ptr(ffi::getCLibFaustVersion()) }.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// libfaust's real IR has the compute function `noalias` marks, and the marked IR builds:
    /// a libfaust whose IR changed shape would otherwise silently lose the `noalias` speed-up.
    #[test]
    fn libfaust_ir_takes_the_noalias_mark_and_builds_again() {
        let source = "import(\"stdfaust.lib\"); process = os.sawtooth(220) : fi.lowpass(2, 1200);";
        let args = ["-I".to_string(), "/usr/share/faust".to_string()];
        let target = crate::target::machine_target_c();
        let plain = Factory::create("noalias_test", source, &args, &target, 0).unwrap();
        let ir = ir_text(plain).expect("libfaust's IR of the program");
        let marked = crate::noalias::mark_instance_noalias(&ir).expect("compute's instance parameter");
        assert!(marked.contains("define void @computemydsp(%struct.dspmydsp* noalias "), "{marked}");
        let optimised = Factory::optimised_noalias(plain, &target).expect("the marked IR builds");
        delete_factory(plain);
        let factory = Factory::wrap("noalias_test", optimised).unwrap();
        assert_eq!((factory.info().inputs, factory.info().outputs), (0, 1));
    }
}

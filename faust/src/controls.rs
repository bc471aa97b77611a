//! Control discovery: a DSP's sliders, buttons and bargraphs, found through libfaust's UI glue.

use crate::ffi;
use serde::{Deserialize, Serialize};
use std::ffi::CStr;
use std::os::raw::{c_char, c_void};

/// What kind of widget a FAUST program declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ControlKind {
    Button,
    Checkbox,
    Hslider,
    Vslider,
    Nentry,
    Hbargraph,
    Vbargraph,
}

impl ControlKind {
    /// Bargraphs are outputs: the DSP writes them, the user reads them.
    pub fn is_output(self) -> bool {
        matches!(self, ControlKind::Hbargraph | ControlKind::Vbargraph)
    }
}

/// A control as declared by the program (the same for every instance of a factory).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ControlSpec {
    /// Box path and label joined with `/`, without the program's own top-level box.
    pub path: String,
    pub label: String,
    pub kind: ControlKind,
    pub init: f32,
    pub min: f32,
    pub max: f32,
    pub step: f32,
    /// The control's `[key:value]` metadata from its label, e.g. `("unit", "Hz")`,
    /// `("scale", "log")`, `("tooltip", ...)`, sorted by key (as libfaust declares them).
    #[serde(default)]
    pub meta: Vec<(String, String)>,
}

impl ControlSpec {
    /// Clamp a value to the control's range (NaN becomes the initial value).
    pub fn clamp(&self, value: f32) -> f32 {
        if value.is_nan() {
            return self.init;
        }
        let (lo, hi) = if self.min <= self.max { (self.min, self.max) } else { (self.max, self.min) };
        value.clamp(lo, hi)
    }
}

/// Collects controls and their zones while libfaust walks an instance's UI.
#[derive(Default)]
pub(crate) struct Collector {
    boxes: Vec<String>,
    /// Metadata declared for the next control (libfaust declares before it adds).
    pending: Vec<(String, String)>,
    pub(crate) controls: Vec<(ControlSpec, *mut f32)>,
    /// Labels of `soundfile` primitives (kr loads no sound files; see `Factory`).
    pub(crate) soundfiles: Vec<String>,
}

impl Collector {
    fn path_for(&self, label: &str) -> String {
        // The outermost box is the program's own name; users address controls without it.
        let mut parts: Vec<&str> = self.boxes.iter().skip(1).map(String::as_str).collect();
        parts.push(label);
        parts.join("/")
    }

    fn push(&mut self, label: *const c_char, zone: *mut f32, kind: ControlKind, range: [f32; 4]) {
        let label = cstr(label);
        let spec = ControlSpec {
            path: self.path_for(&label),
            label,
            kind,
            init: range[0],
            min: range[1],
            max: range[2],
            step: range[3],
            meta: std::mem::take(&mut self.pending),
        };
        self.controls.push((spec, zone));
    }

    /// The glue table pointing at `self`. `self` must outlive every use of the returned glue.
    pub(crate) fn glue(&mut self) -> ffi::UIGlue {
        ffi::UIGlue {
            ui_interface: self as *mut Collector as *mut c_void,
            open_tab_box: open_box,
            open_horizontal_box: open_box,
            open_vertical_box: open_box,
            close_box,
            add_button,
            add_check_button,
            add_vertical_slider,
            add_horizontal_slider,
            add_num_entry,
            add_horizontal_bargraph,
            add_vertical_bargraph,
            add_soundfile,
            declare,
        }
    }
}

fn cstr(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: libfaust passes NUL-terminated labels that live for the duration of the call.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// # Safety
/// `ui` must be the pointer set by [`Collector::glue`], valid and not aliased during the walk.
unsafe fn collector<'a>(ui: *mut c_void) -> &'a mut Collector {
    // SAFETY: guaranteed by the caller (libfaust hands back the pointer we gave it).
    unsafe { &mut *(ui as *mut Collector) }
}

unsafe extern "C" fn open_box(ui: *mut c_void, label: *const c_char) {
    // SAFETY: called by libfaust during buildUserInterface with our glue's pointer.
    let c = unsafe { collector(ui) };
    c.boxes.push(cstr(label));
}
unsafe extern "C" fn close_box(ui: *mut c_void) {
    // SAFETY: as in open_box.
    let c = unsafe { collector(ui) };
    c.boxes.pop();
}
unsafe extern "C" fn add_button(ui: *mut c_void, label: *const c_char, zone: *mut f32) {
    // SAFETY: as in open_box.
    unsafe { collector(ui) }.push(label, zone, ControlKind::Button, [0.0, 0.0, 1.0, 1.0]);
}
unsafe extern "C" fn add_check_button(ui: *mut c_void, label: *const c_char, zone: *mut f32) {
    // SAFETY: as in open_box.
    unsafe { collector(ui) }.push(label, zone, ControlKind::Checkbox, [0.0, 0.0, 1.0, 1.0]);
}
macro_rules! slider_fn {
    ($name:ident, $kind:expr) => {
        unsafe extern "C" fn $name(
            ui: *mut c_void,
            label: *const c_char,
            zone: *mut f32,
            init: f32,
            min: f32,
            max: f32,
            step: f32,
        ) {
            // SAFETY: as in open_box.
            unsafe { collector(ui) }.push(label, zone, $kind, [init, min, max, step]);
        }
    };
}
slider_fn!(add_vertical_slider, ControlKind::Vslider);
slider_fn!(add_horizontal_slider, ControlKind::Hslider);
slider_fn!(add_num_entry, ControlKind::Nentry);
unsafe extern "C" fn add_horizontal_bargraph(
    ui: *mut c_void,
    label: *const c_char,
    zone: *mut f32,
    min: f32,
    max: f32,
) {
    // SAFETY: as in open_box.
    unsafe { collector(ui) }.push(label, zone, ControlKind::Hbargraph, [min, min, max, 0.0]);
}
unsafe extern "C" fn add_vertical_bargraph(ui: *mut c_void, label: *const c_char, zone: *mut f32, min: f32, max: f32) {
    // SAFETY: as in open_box.
    unsafe { collector(ui) }.push(label, zone, ControlKind::Vbargraph, [min, min, max, 0.0]);
}
unsafe extern "C" fn add_soundfile(
    ui: *mut c_void,
    label: *const c_char,
    _url: *const c_char,
    _zone: *mut *mut c_void,
) {
    // SAFETY: as in open_box.
    let c = unsafe { collector(ui) };
    c.pending.clear();
    c.soundfiles.push(cstr(label));
}
unsafe extern "C" fn declare(ui: *mut c_void, zone: *mut f32, key: *const c_char, value: *const c_char) {
    // SAFETY: as in open_box.
    let c = unsafe { collector(ui) };
    // A null zone is a box's metadata; a zone means the control added next.
    if !zone.is_null() {
        c.pending.push((cstr(key), cstr(value)));
    }
}

/// Collects `declare key "value";` metadata.
#[derive(Default)]
pub(crate) struct MetaCollector {
    pub(crate) entries: Vec<(String, String)>,
}

impl MetaCollector {
    pub(crate) fn glue(&mut self) -> ffi::MetaGlue {
        ffi::MetaGlue { meta_interface: self as *mut MetaCollector as *mut c_void, declare: meta_declare }
    }
}

unsafe extern "C" fn meta_declare(m: *mut c_void, key: *const c_char, value: *const c_char) {
    // SAFETY: libfaust hands back the MetaCollector pointer set by MetaCollector::glue.
    let m = unsafe { &mut *(m as *mut MetaCollector) };
    m.entries.push((cstr(key), cstr(value)));
}

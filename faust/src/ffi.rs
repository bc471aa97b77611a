//! Hand-written declarations of the libfaust C API we use (`faust/dsp/llvm-dsp-c.h`,
//! `faust/gui/CInterface.h`, libfaust 2.54.9).
//!
//! Written by hand rather than with bindgen because the header is wrong for
//! `readCDSPFactoryFromMachine`: the library implements `(code, target, error_msg)`, the header
//! says `(code, error_msg, target)`. Following the header corrupts the heap.

#![allow(non_camel_case_types, non_snake_case)]

use std::os::raw::{c_char, c_int, c_void};

/// Opaque `llvm_dsp_factory`.
#[repr(C)]
pub struct llvm_dsp_factory {
    _private: [u8; 0],
}

/// Opaque `llvm_dsp` (one instance).
#[repr(C)]
pub struct llvm_dsp {
    _private: [u8; 0],
}

/// Size libfaust requires for its error buffers.
pub const ERROR_BUF: usize = 4096;

pub type OpenBoxFun = unsafe extern "C" fn(*mut c_void, *const c_char);
pub type CloseBoxFun = unsafe extern "C" fn(*mut c_void);
pub type AddButtonFun = unsafe extern "C" fn(*mut c_void, *const c_char, *mut f32);
pub type AddSliderFun = unsafe extern "C" fn(*mut c_void, *const c_char, *mut f32, f32, f32, f32, f32);
pub type AddBargraphFun = unsafe extern "C" fn(*mut c_void, *const c_char, *mut f32, f32, f32);
pub type AddSoundfileFun = unsafe extern "C" fn(*mut c_void, *const c_char, *const c_char, *mut *mut c_void);
pub type DeclareFun = unsafe extern "C" fn(*mut c_void, *mut f32, *const c_char, *const c_char);
pub type MetaDeclareFun = unsafe extern "C" fn(*mut c_void, *const c_char, *const c_char);

/// `UIGlue`: the callbacks libfaust calls while describing an instance's controls.
#[repr(C)]
pub struct UIGlue {
    pub ui_interface: *mut c_void,
    pub open_tab_box: OpenBoxFun,
    pub open_horizontal_box: OpenBoxFun,
    pub open_vertical_box: OpenBoxFun,
    pub close_box: CloseBoxFun,
    pub add_button: AddButtonFun,
    pub add_check_button: AddButtonFun,
    pub add_vertical_slider: AddSliderFun,
    pub add_horizontal_slider: AddSliderFun,
    pub add_num_entry: AddSliderFun,
    pub add_horizontal_bargraph: AddBargraphFun,
    pub add_vertical_bargraph: AddBargraphFun,
    pub add_soundfile: AddSoundfileFun,
    pub declare: DeclareFun,
}

/// `MetaGlue`: the callback libfaust calls for each `declare key "value";`.
#[repr(C)]
pub struct MetaGlue {
    pub meta_interface: *mut c_void,
    pub declare: MetaDeclareFun,
}

unsafe extern "C" {
    pub fn getCLibFaustVersion() -> *const c_char;
    pub fn getCDSPMachineTarget() -> *mut c_char;
    pub fn freeCMemory(ptr: *mut c_void);

    pub fn createCDSPFactoryFromString(
        name_app: *const c_char,
        dsp_content: *const c_char,
        argc: c_int,
        argv: *const *const c_char,
        target: *const c_char,
        error_msg: *mut c_char,
        opt_level: c_int,
    ) -> *mut llvm_dsp_factory;
    pub fn deleteCDSPFactory(factory: *mut llvm_dsp_factory) -> bool;
    pub fn writeCDSPFactoryToMachine(factory: *mut llvm_dsp_factory, target: *const c_char) -> *mut c_char;
    /// Argument order as implemented (NOT as in the header): code, target, error_msg.
    pub fn readCDSPFactoryFromMachine(
        machine_code: *const c_char,
        target: *const c_char,
        error_msg: *mut c_char,
    ) -> *mut llvm_dsp_factory;
    pub fn getCWarningMessages(factory: *mut llvm_dsp_factory) -> *mut *const c_char;
    /// The factory's LLVM IR as text, to be freed with `freeCMemory`.
    pub fn writeCDSPFactoryToIR(factory: *mut llvm_dsp_factory) -> *mut c_char;
    pub fn readCDSPFactoryFromIR(
        ir_code: *const c_char,
        target: *const c_char,
        error_msg: *mut c_char,
        opt_level: c_int,
    ) -> *mut llvm_dsp_factory;

    pub fn createCDSPInstance(factory: *mut llvm_dsp_factory) -> *mut llvm_dsp;
    pub fn deleteCDSPInstance(dsp: *mut llvm_dsp);
    pub fn getNumInputsCDSPInstance(dsp: *mut llvm_dsp) -> c_int;
    pub fn getNumOutputsCDSPInstance(dsp: *mut llvm_dsp) -> c_int;
    pub fn buildUserInterfaceCDSPInstance(dsp: *mut llvm_dsp, ui: *mut UIGlue);
    pub fn metadataCDSPInstance(dsp: *mut llvm_dsp, meta: *mut MetaGlue);
    pub fn initCDSPInstance(dsp: *mut llvm_dsp, sample_rate: c_int);
    pub fn instanceClearCDSPInstance(dsp: *mut llvm_dsp);
    pub fn computeCDSPInstance(dsp: *mut llvm_dsp, count: c_int, inputs: *mut *mut f32, outputs: *mut *mut f32);
}

use thiserror::Error;

/// Everything that can go wrong turning FAUST source into a running DSP.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum CompileError {
    /// libfaust rejected the program; `message` is the compiler's own text, unchanged.
    #[error("FAUST error in '{name}': {message}")]
    Faust { name: String, message: String },
    /// The compile worker died while compiling this program (the engine keeps playing).
    #[error("the FAUST compiler crashed while compiling '{name}' ({detail}); the worker was restarted")]
    WorkerCrashed { name: String, detail: String },
    /// The compile worker took longer than the configured timeout.
    #[error("compiling '{name}' took longer than {seconds:.1} s and was stopped (raise `compiler.timeout_s` in krd.yaml if this program is simply large)")]
    Timeout { name: String, seconds: f64 },
    /// The worker could not be started at all (a broken installation).
    #[error("cannot start the FAUST compile worker '{program}': {detail}")]
    WorkerUnavailable { program: String, detail: String },
    /// The engine could not load the machine code the worker returned.
    #[error("cannot load compiled code for '{name}': {message}")]
    Load { name: String, message: String },
    /// The program compiled but has a shape kr cannot run.
    #[error("'{name}' cannot be used: {message}")]
    Unsupported { name: String, message: String },
    /// The compile service was shut down.
    #[error("the FAUST compile service has stopped")]
    ServiceStopped,
}

impl CompileError {
    /// What went wrong, without the program's name: a factory is shared by every node with the
    /// same source, so its name may be another node's (the caller names its own).
    pub fn detail(&self) -> String {
        match self {
            CompileError::Faust { message, .. }
            | CompileError::Load { message, .. }
            | CompileError::Unsupported { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }
}

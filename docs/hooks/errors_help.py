"""What each error text of the engine means and what to do about it, keyed by the text as a
reader meets it (`…` where the engine fills in a name or a number). generate.error_messages
finds every `#[error("...")]` in the Rust crates and fails the build when one has no entry here,
so a new message cannot reach users unexplained."""

ERROR_HELP: dict[str, str] = {
    # configuration and state (krd's log at start)
    "cannot read …: …": (
        "krd could not open a file it was given: its configuration (`--config`, krd.yaml) or a "
        "state file. Check the path and its permissions. A state file krd cannot read is moved "
        "aside as `session.json.bad-<time>` and krd starts empty."
    ),
    "…:…: …": (
        "The configuration file has a mistake at that line and column: the key and what is wrong "
        "follow (an unknown key, a wrong type). `krd --check-config FILE` checks a file without "
        "starting krd; `configs/krd.yaml` lists every setting with its default."
    ),
    "…: …": (
        "The configuration file is not valid YAML for krd, at the line and column named. "
        "`configs/krd.yaml` lists every setting with its default."
    ),
    "… is not a kr state file: …": (
        "The state file is not JSON that krd wrote. krd keeps it aside "
        "(`session.json.bad-<time>`) and starts with an empty session; nothing is overwritten."
    ),
    # JACK
    "cannot connect to a JACK server (…); start one (e.g. `jackd -d dummy`) or use PipeWire's pw-jack": (  # noqa: E501
        "No JACK server runs for this user. Start one (`jackd -d alsa` with a sound card, "
        "`jackd -d dummy` without), run krd under PipeWire with `pw-jack krd`, or use the `kr` "
        "command, which starts a private silent dummy server when there is none."
    ),
    "JACK: …": "JACK itself refused something (a port, a connection); its reason follows.",
    # offline render
    "cannot read the score: …": "`krd render` could not open the score file named.",
    "score: …": "The score is not a YAML list of timed commands (see `host/src/render.rs`).",
    "score command … (…) at …: …": (
        "One command of the score was refused, as the live engine would refuse it: its number, "
        "address and time are given, then the reason. Nothing is rendered."
    ),
    "cannot write the WAV file: …": "The output path of `krd render -o` cannot be written.",
    # Ableton Link
    "krd was built without Link (cargo build --features link); Link is GPL-2.0-or-later, so krd leaves it out unless asked: build krd with that feature to join a Link session": (  # noqa: E501
        "`kr.link(True)` (`/kr/link 1`) needs a krd built with the cargo feature `link` "
        "(`cargo build --release -p kr-host --features link`, which needs cmake and libclang). "
        "Such a krd is GPL-2.0-or-later as a whole, so no package or wheel of kr has it."
    ),
    "Link needs the audio clock of a live engine (JACK); `krd render` has none": (
        "A score for `krd render` cannot follow a Link session: Link is about time as it passes. "
        "Leave `/kr/link` out of the score."
    ),
    # the session
    "no node named '…'": "Check the name: `kr.nodes()` lists them (names are case-sensitive).",
    "no node named '…', and no node with a control that path names": (
        "A path like `bass/cutoff` names a node and one of its controls; neither matched. "
        "`kr.nodes()` lists the nodes, `kr['bass'].controls()` a node's controls."
    ),
    "node '…' has no control '…' (it has: …)": (
        "The node's DSP declares no control of that name; the message lists those it has. "
        "Declare it with `krs.control(name, init, lo, hi)`, or use one of those listed."
    ),
    "routing … → … would make a cycle (…); audio cannot flow in a loop": (
        "Sends must not loop back (a → b → a). For feedback inside a sound use `krs.feedback`."
    ),
    "'…' has no audio inputs, so nothing can be routed into it": (
        "Only effects (DSP functions with a `krs.Signal` parameter) take sends. Route into an "
        "effect, or make the target one."
    ),
    "no route from '…' to '…'": "`kr.unroute` found no send between these nodes.",
    "node limit reached (… nodes); free some first": (
        "The session holds as many nodes as krd allows. `kr.remove` some, or raise the limit in "
        "krd.yaml."
    ),
    "'…' needs … MiB (… voice(s) of … MiB: its delay lines and tables); …": (
        "The program's instances would need more memory than allowed (the compiler measured one). "
        "Use fewer voices or shorter delay lines, or raise `engine.max_node_memory_mb` / "
        "`engine.max_memory_mb` in krd.yaml, as the message says."
    ),
    "recording: …": (
        "A recording could not start or go on: a path outside the recording directory from a "
        "remote client, a file that cannot be created, a full disk. krd plays on."
    ),
    "no scene named '…'": "`kr.scenes()` lists the scenes saved in the engine.",
    "nothing is playing on '…'": "`kr.hush(target)` found no pattern on that node or control.",
    "'…': …": "The node's DSP was refused; the reason after the name comes from the compiler.",
    "pattern: …": (
        "The pattern cannot be played: it failed to parse, or it is too dense to play (too many "
        "events per cycle under the query budget). Thin it out."
    ),
    "the audio thread is not keeping up (its queue is full); try again": (
        "Too many changes reached the audio thread at once. Wait a moment and send again; "
        "nothing of the refused change was applied."
    ),
    "…: … is outside …..…": "A value out of its allowed range; the range is in the message.",
    # the wire (what any OSC client can meet)
    "not an OSC packet: …": "What arrived is not OSC 1.0 (sizes, padding or strings are broken).",
    "packet of … bytes exceeds the limit of … bytes": (
        "Packets are at most 1 MiB. Send large sessions as several bundles (the Python library "
        "does)."
    ),
    "bundle refused (nothing applied): …": (
        "One message of a bundle failed, so none of it was applied; the rest of the message "
        "says which one and why. Fix that one and send the bundle again."
    ),
    "unknown address … (see docs/protocol.md for the address space)": (
        "No such OSC address; the [command table](osc.md) lists them all."
    ),
    "…: expected `…`, got …": (
        "Wrong argument types or count for that address; the expected signature is shown "
        "(`name:type`, `[x]` optional)."
    ),
    "…: argument … '…': …": (
        "An argument of the right type with a value that is not allowed (its position counts "
        "the request id); the problem is named."
    ),
    "…: internal error (a bug: please report it): …": (
        "The command table and the engine disagree: a bug in kr. Please report it with the message."
    ),
    "……": (
        "One message of a packet failed: inside a bundle the text starts with which message of "
        "how many (`message 2 of 3: `), then that message's own error."
    ),
    "TCP frame of … bytes exceeds the limit of … bytes; closing the connection": (
        "A TCP client announced a frame larger than a packet may be. Frames are a 32-bit "
        "big-endian size, then the packet; the connection is closed because the stream cannot "
        "be trusted after this."
    ),
    "the connection closed … bytes into a frame of … bytes": "The client went away mid-packet.",
    "reading the connection: …": "The operating system reported an error on a TCP connection.",
    "time … cannot be expressed as an OSC time tag (1968-01-20 to 2104-02-26 only)": (
        "A time outside what an OSC time tag can hold."
    ),
    # FAUST
    "FAUST error in '…': …": (
        "libfaust rejected the program; its own message follows (line numbers refer to the "
        "FAUST source: `krs.faust_source(fn)` shows it for a krs function). The node keeps "
        "playing its previous DSP, if it had one."
    ),
    "the FAUST compiler crashed while compiling '…' (…); the worker was restarted": (
        "libfaust crashed on this program (for example a delay line near 4 GiB). krd is fine; "
        "change the program."
    ),
    "compiling '…' took longer than … s and was stopped (raise `compiler.timeout_s` in krd.yaml if this program is simply large)": (  # noqa: E501
        "The compile was stopped at the time limit. Large programs (big reverbs) may need a "
        "higher `compiler.timeout_s`."
    ),
    "cannot start the FAUST compile worker '…': …": (
        "krd runs compiles in a worker process (the same binary) and could not start it: check "
        "that the krd binary is still where it was started from."
    ),
    "cannot load compiled code for '…': …": (
        "The machine code the worker produced could not be loaded; the cache entry is dropped. "
        "Try again; if it persists, restart krd (libfaust's per-load leak may be near its limit)."
    ),
    "'…' cannot be used: …": (
        "The program compiled but cannot be a node (for example more inputs or outputs than "
        "allowed, or an instance libfaust cannot make); the reason follows."
    ),
    "the FAUST compile service has stopped": "krd is shutting down; restart it.",
    # patterns
    "pattern IR error at …: …": (
        "A pattern sent as JSON IR is malformed at the path named. The Python library builds "
        "valid IR; other clients can send mini-notation instead."
    ),
    "mini-notation error at column …: …": (
        "The mini-notation string does not parse; the column (counted from 1) points at the "
        "problem. The [mini-notation table](patterns.md#the-mini-notation) lists the syntax."
    ),
    # SuperDirt events and samples (reported to subscribers as "dirt: ...", counted in /kr/status)
    "cannot open …: …": (
        "A sample file could not be opened (deleted, or no permission). The event plays nothing; "
        "fix the file and play again (krd re-reads a bank's folder every few seconds)."
    ),
    "… is … MiB; a sample file may be at most … MiB (dirt.max_file_mb)": (
        "The file is larger than `dirt.max_file_mb` allows. Raise the limit in krd.yaml, or cut "
        "the file. krd refuses it before reading it, so nothing else is held up."
    ),
    "… is not a sound file krd can read (WAV, AIFF or FLAC): …": (
        "The file has a sound file's name but is corrupt or in another format (OGG and MP3 are not "
        "read, as in SuperDirt). Convert it, e.g. `sox in.ogg out.wav`."
    ),
    "… has no audio": "The sound file holds no samples. Replace it; other files of the bank play.",
    "cannot resample …: …": (
        "The file's sample rate could not be converted to the engine's. Convert it with sox to "
        "48000 Hz (or your JACK rate)."
    ),
    "argument … should be a parameter name (a string), not …": (
        "A `/dirt/play` message is a list of name/value pairs; at that position a name was "
        "expected. The sender is not speaking SuperDirt's protocol."
    ),
    "parameter '…' has no value (the arguments are name/value pairs)": (
        "The message ends with a name but no value. Every parameter needs a value."
    ),
    "parameter '…' has a value of an unsupported type (…)": (
        "Values are numbers (i, f, d, h, T/F) or strings; blobs, MIDI and the like are not read."
    ),
    "the event has no 's' (the sound to play)": (
        "Every event needs `s` (a sample bank, a node or a Dirt synth), as in SuperDirt: "
        "`d1 $ s \"bd\"`, `kr.s(\"bd\")`."
    ),
    "the event has … parameters; at most … are read": "No real event has that many parameters.",
    "the sound lasts … s, shorter than 8 samples (SuperDirt drops such events too)": (
        "`sustain`, `legato` or `begin`/`end` leave too little to hear. Lengthen it."
    ),
    "speed 0 never moves through the sound, so nothing plays": (
        "A sample at `speed 0` would hold one sample value forever; use a small speed instead."
    ),
    "unit '…' is not one of r, c, s": (
        "`unit` is `r` (rate, the default), `c` (fit the sample to a cycle) or `s` (seconds)."
    ),
}

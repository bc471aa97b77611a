//! Property tests, bounded to a few seconds: the decoders never panic on arbitrary bytes or on
//! arbitrary well-formed OSC, everything valid round-trips, and time tags and TCP framing are
//! exact. (Run longer with `PROPTEST_CASES=100000 cargo test -p kr-osc --test fuzz`.)

use kr_osc::tcp::FrameDecoder;
use kr_osc::{
    decode_bundle, decode_packet, decode_request, encode_bundle, encode_request, to_bytes, Command, DecodeError,
    DspSource, Limits, Notification, Packet, Reply, Request, TimeTag, ADDRESSES,
};
use kr_pattern::ir::Ir;
use proptest::prelude::*;
use rosc::{OscArray, OscBundle, OscColor, OscMessage, OscMidiMessage, OscPacket, OscTime, OscType};
use std::time::{Duration, UNIX_EPOCH};

// ---- strategies for valid requests ----

fn name() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9_.-]{1,8}(/[a-zA-Z0-9_.-]{1,8}){0,2}"
}

fn wav() -> impl Strategy<Value = String> {
    "[a-z0-9_-]{1,8}(/[a-z0-9_-]{1,8})?\\.(wav|WAV)"
}

fn finite_f32() -> impl Strategy<Value = f32> {
    any::<f32>().prop_filter("finite", |v| v.is_finite())
}

fn source() -> impl Strategy<Value = DspSource> {
    prop_oneof![
        "[a-z0-9_]{1,8}(/[a-z0-9_-]{1,8})?".prop_map(DspSource::File),
        "[^\u{0}]{1,200}"
            .prop_filter("not a faust: name, not blank", |s| { !s.starts_with("faust:") && !s.trim().is_empty() })
            .prop_map(DspSource::Faust),
    ]
}

fn pattern() -> impl Strategy<Value = Ir> {
    prop_oneof![
        prop::sample::select(vec!["a2 d3 ~ e2", "<0 3> [5 7]*2", "c4 e4 g4 <c5 b4>", "0 1 2 3", "~",])
            .prop_map(Ir::mini),
        // Quarter steps: exact through JSON.
        (-4000i32..4000).prop_map(|i| Ir::num(f64::from(i) / 4.0)),
    ]
}

fn command() -> impl Strategy<Value = Command> {
    let gain = 0.0f32..=16.0;
    let cycles = 0.0f64..=1024.0;
    prop_oneof![
        Just(Command::Status),
        Just(Command::Ping),
        Just(Command::Dump),
        Just(Command::SceneList),
        Just(Command::Nodes),
        Just(Command::SamplesList),
        name().prop_map(|bank| Command::SamplesLoad { bank }),
        (name(), 1i64..=16, name()).prop_map(|(name, channel, port)| Command::MidiOut { name, channel, port }),
        name().prop_map(|action| Command::MidiClock { action }),
        any::<bool>().prop_map(|on| Command::MidiFollow { on }),
        (0i64..=127, name(), finite_f32(), finite_f32(), 0i64..=16)
            .prop_map(|(cc, path, lo, hi, channel)| Command::MidiMap { cc, path, lo, hi, channel }),
        (name(), finite_f32(), finite_f32()).prop_map(|(path, lo, hi)| Command::MidiLearn { path, lo, hi }),
        (name(), 0i64..=16).prop_map(|(node, channel)| Command::MidiNotes { node, channel }),
        name().prop_map(|path| Command::MidiUnmap { path }),
        Just(Command::Unsubscribe),
        (name(), source(), 1u32..=64, gain.clone()).prop_map(|(name, source, count, gain)| {
            Command::NodeNew { name, source, count, gain, meta: String::new() }
        }),
        (name(), source()).prop_map(|(name, source)| Command::Compile { name, source }),
        name().prop_map(|name| Command::NodeFree { name }),
        name().prop_map(|name| Command::NodeInfo { name }),
        (name(), finite_f32()).prop_map(|(path, value)| Command::Set { path, value }),
        name().prop_map(|path| Command::Get { path }),
        (name(), finite_f32(), cycles.clone())
            .prop_map(|(path, target, cycles)| { Command::Fade { path, target, cycles } }),
        (name(), name(), gain).prop_map(|(from, to, level)| Command::Route { from, to, level }),
        (name(), name()).prop_map(|(from, to)| Command::Unroute { from, to }),
        (name(), pattern(), any::<bool>())
            .prop_map(|(target, pattern, from_zero)| { Command::Play { target, pattern, from_zero } }),
        prop::option::of(name()).prop_map(|target| Command::Hush { target }),
        (name(), any::<bool>()).prop_map(|(name, on)| Command::Mute { name, on }),
        (name(), any::<bool>()).prop_map(|(name, on)| Command::Solo { name, on }),
        (1.0f64..=1000.0).prop_map(|bpm| Command::Tempo { bpm }),
        (0.25f64..=64.0).prop_map(|beats| Command::Meter { beats }),
        (any::<bool>(), 0.25f64..=64.0).prop_map(|(on, quantum)| Command::Link { on, quantum }),
        (0.0f32..=4.0).prop_map(|gain| Command::Master { gain }),
        name().prop_map(|name| Command::SceneSave { name }),
        (name(), cycles).prop_map(|(name, cycles)| Command::SceneRecall { name, cycles }),
        name().prop_map(|name| Command::SceneDelete { name }),
        (wav(), prop::option::of(name())).prop_map(|(file, target)| Command::RecordStart { file, target }),
        prop::option::of(wav()).prop_map(|file| Command::RecordStop { file }),
        (1.0f64..=86_400.0).prop_map(|seconds| Command::Subscribe { seconds }),
    ]
}

fn request() -> impl Strategy<Value = Request> {
    (prop::option::of(any::<i64>()), command()).prop_map(|(id, command)| Request { id, command })
}

fn time_tag() -> impl Strategy<Value = TimeTag> {
    prop_oneof![Just(0u64), Just(1u64), any::<u64>()].prop_map(TimeTag::from_raw)
}

// ---- strategies for arbitrary (mostly invalid) OSC ----

fn osc_arg() -> impl Strategy<Value = OscType> {
    // Weighted towards what commands take (names, small numbers) so that many messages get
    // past the type checks to the value checks.
    let leaf = prop_oneof![
        6 => name().prop_map(OscType::String),
        3 => (-10.0f32..100.0).prop_map(OscType::Float),
        2 => (-5i32..100).prop_map(OscType::Int),
        1 => (-10.0f64..2000.0).prop_map(OscType::Double),
        1 => wav().prop_map(OscType::String),
        1 => any::<i32>().prop_map(OscType::Int),
        1 => any::<f32>().prop_map(OscType::Float),
        1 => any::<i64>().prop_map(OscType::Long),
        1 => any::<f64>().prop_map(OscType::Double),
        1 => "[^\u{0}]{0,40}".prop_map(OscType::String),
        1 => prop::sample::select(vec![
            "a2 c3", "{\"v\":1,\"p\":{\"op\":\"silence\"}}", "[", "faust:x", "faust:../x", "{",
        ])
        .prop_map(|s| OscType::String(s.into())),
        1 => prop::collection::vec(any::<u8>(), 0..16).prop_map(OscType::Blob),
        1 => any::<bool>().prop_map(OscType::Bool),
        1 => Just(OscType::Nil),
        1 => Just(OscType::Inf),
        1 => any::<char>().prop_map(OscType::Char),
        1 => (any::<u32>(), any::<u32>()).prop_map(|(seconds, fractional)| {
            OscType::Time(OscTime {
                seconds,
                fractional,
            })
        }),
        1 => any::<[u8; 4]>().prop_map(|[port, status, data1, data2]| {
            OscType::Midi(OscMidiMessage {
                port,
                status,
                data1,
                data2,
            })
        }),
        1 => any::<[u8; 4]>().prop_map(|[red, green, blue, alpha]| {
            OscType::Color(OscColor {
                red,
                green,
                blue,
                alpha,
            })
        }),
    ];
    leaf.prop_recursive(2, 4, 2, |inner| {
        prop::collection::vec(inner, 0..3).prop_map(|content| OscType::Array(OscArray { content }))
    })
}

/// A value of the type a signature letter asks for, often out of range or ill-formed.
fn typed_arg(kind: char) -> BoxedStrategy<OscType> {
    match kind {
        's' => prop_oneof![
            4 => name().prop_map(OscType::String),
            1 => wav().prop_map(OscType::String),
            1 => "[^\u{0}]{0,300}".prop_map(OscType::String),
            1 => prop::sample::select(vec!["a2 c3 e3", "<0 3>*2", "[a b", "faust:drums/kick", "faust:../x", ""])
                .prop_map(|s| OscType::String(s.into())),
        ]
        .boxed(),
        _ => prop_oneof![
            4 => (-2.0f32..100.0).prop_map(OscType::Float),
            2 => (-2i32..100).prop_map(OscType::Int),
            1 => (0.0f64..5000.0).prop_map(OscType::Double),
            1 => any::<f32>().prop_map(OscType::Float),
            1 => any::<f64>().prop_map(OscType::Double),
            1 => any::<bool>().prop_map(OscType::Bool),
        ]
        .boxed(),
    }
}

/// Messages to known addresses whose arguments mostly follow the signature: each argument has
/// the right type 7 times in 8, optional ones are present half the time, and one in ten
/// messages has an extra argument, so that many reach the value checks and the encoder.
fn signed_message() -> impl Strategy<Value = OscMessage> {
    prop::sample::select(ADDRESSES.to_vec()).prop_flat_map(|addr| {
        let sig = kr_osc::signature(addr).unwrap();
        let args: Vec<BoxedStrategy<Option<OscType>>> = sig
            .split_whitespace()
            .filter(|w| w.contains(':'))
            .map(|w| {
                let optional = w.starts_with('[');
                let kind = w.trim_end_matches(']').chars().last().unwrap_or('s');
                let value = prop_oneof![7 => typed_arg(kind), 1 => osc_arg()];
                if optional {
                    prop::option::of(value).boxed()
                } else {
                    value.prop_map(Some).boxed()
                }
            })
            .collect();
        (Just(addr), prop::option::of(any::<i64>()), args, prop::option::weighted(0.1, osc_arg())).prop_map(
            |(addr, id, args, extra)| {
                let mut v: Vec<OscType> = id.map(OscType::Long).into_iter().collect();
                // An absent optional argument ends the list (later ones cannot be given).
                v.extend(args.into_iter().map_while(|a| a));
                v.extend(extra);
                OscMessage { addr: addr.into(), args: v }
            },
        )
    })
}

fn osc_message() -> impl Strategy<Value = OscMessage> {
    let random_address = prop_oneof![
        4 => prop::sample::select(ADDRESSES.to_vec()).prop_map(String::from),
        1 => "/kr/[a-z/.]{0,12}",
        1 => "/[^\u{0}]{0,20}",
    ];
    let args = prop_oneof![
        prop::collection::vec(osc_arg(), 0..4),
        (any::<i64>(), prop::collection::vec(osc_arg(), 0..4)).prop_map(|(id, mut rest)| {
            rest.insert(0, OscType::Long(id));
            rest
        }),
    ];
    prop_oneof![
        3 => signed_message(),
        1 => (random_address, args).prop_map(|(addr, args)| OscMessage { addr, args }),
    ]
}

fn osc_packet() -> impl Strategy<Value = OscPacket> {
    let leaf = osc_message().prop_map(OscPacket::Message);
    leaf.prop_recursive(3, 12, 4, |inner| {
        (any::<u64>(), prop::collection::vec(inner, 0..4))
            .prop_map(|(t, content)| OscPacket::Bundle(OscBundle { timetag: TimeTag::from_raw(t).to_osc(), content }))
    })
}

fn messages(p: &OscPacket) -> usize {
    match p {
        OscPacket::Message(_) => 1,
        OscPacket::Bundle(b) => b.content.iter().map(messages).sum(),
    }
}

/// Decoding anything: no panic, and an accepted packet decodes the same way again.
fn decode_anything(bytes: &[u8]) {
    let limits = Limits::default();
    if let Ok(OscPacket::Message(m)) = decode_packet(bytes, &limits) {
        let _ = decode_request(&m, &limits);
    }
    match decode_bundle(bytes, &limits) {
        Ok(packet) => {
            if !packet.requests.is_empty() {
                let again = decode_bundle(&to_bytes(&packet.to_osc()), &limits).unwrap();
                assert_eq!(again.requests, packet.requests);
            }
        }
        Err(e) => {
            assert!(!e.to_string().is_empty());
            let _ = Reply::refused(&e).to_message();
        }
    }
}

/// 1024 cases per property, or `PROPTEST_CASES`.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1024);
    ProptestConfig { cases, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        decode_anything(&bytes);
    }

    #[test]
    fn bytes_that_look_like_osc_never_panic(
        head in prop::sample::select(vec![&b"#bundle\0"[..], b"/kr/set\0", b"/kr/play", b"/\0\0\0"]),
        body in prop::collection::vec(
            prop_oneof![any::<u8>(), Just(0u8), Just(b','), Just(b'['), Just(b's'), Just(b'f')],
            0..200,
        ),
    ) {
        let mut bytes = head.to_vec();
        bytes.extend(body);
        decode_anything(&bytes);
    }

    #[test]
    fn mutated_valid_packets_never_panic(
        reqs in prop::collection::vec(request(), 1..4),
        time in time_tag(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = to_bytes(&encode_bundle(time, &reqs));
        for (at, v) in edits {
            let i = at.index(bytes.len());
            bytes[i] = v;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        decode_anything(&bytes);
    }

    #[test]
    fn well_formed_osc_never_panics_and_accepted_requests_are_canonical(p in osc_packet()) {
        let limits = Limits::default();
        if let OscPacket::Message(m) = &p {
            match decode_request(m, &limits) {
                Ok(req) => {
                    let again = decode_request(&encode_request(&req), &limits);
                    prop_assert_eq!(again, Ok(req));
                }
                Err(e) => {
                    let wrapped = matches!(e, DecodeError::Message { .. });
                    prop_assert!(!wrapped);
                }
            }
        }
        let bytes = to_bytes(&p);
        match decode_bundle(&bytes, &limits) {
            Ok(packet) => prop_assert_eq!(packet.requests.len(), messages(&p)),
            Err(DecodeError::Message { index, count, id, .. }) => {
                prop_assert!(index < count);
                prop_assert_eq!(count, messages(&p));
                if let OscPacket::Message(m) = &p {
                    let first = match m.args.first() {
                        Some(OscType::Long(id)) => Some(*id),
                        _ => None,
                    };
                    prop_assert_eq!(id, first);
                }
            }
            Err(_) => {}
        }
        decode_anything(&bytes);
    }

    #[test]
    fn requests_round_trip(req in request()) {
        let limits = Limits::default();
        let msg = encode_request(&req);
        prop_assert_eq!(decode_request(&msg, &limits), Ok(req.clone()));
        let packet = decode_bundle(&to_bytes(&OscPacket::Message(msg)), &limits);
        prop_assert_eq!(packet, Ok(Packet { time: TimeTag::Immediate, requests: vec![req] }));
    }

    #[test]
    fn bundles_round_trip(reqs in prop::collection::vec(request(), 0..6), time in time_tag()) {
        let packet = Packet { time, requests: reqs };
        let back = decode_bundle(&to_bytes(&packet.to_osc()), &Limits::default());
        prop_assert_eq!(back, Ok(packet));
    }

    #[test]
    fn one_bad_message_refuses_the_bundle(
        reqs in prop::collection::vec(request(), 1..6),
        at in any::<prop::sample::Index>(),
    ) {
        let mut content: Vec<OscPacket> =
            reqs.iter().map(|r| OscPacket::Message(encode_request(r))).collect();
        let i = at.index(content.len() + 1);
        content.insert(i, OscPacket::Message(OscMessage {
            addr: "/kr/set".into(),
            args: vec![OscType::Long(77), OscType::String("a".into()), OscType::Float(f32::NAN)],
        }));
        let p = OscPacket::Bundle(OscBundle { timetag: OscTime { seconds: 0, fractional: 1 }, content });
        let e = decode_bundle(&to_bytes(&p), &Limits::default()).unwrap_err();
        prop_assert_eq!(e.address(), "/kr/set");
        prop_assert_eq!(e.id(), Some(77));
        let is_message = matches!(e, DecodeError::Message { index, bundled: true, .. } if index == i);
        prop_assert!(is_message);
    }

    #[test]
    fn system_time_to_tag_and_back_is_exact(nanos in -60_000_000_000_000_000i128..4_000_000_000_000_000_000i128) {
        let t = if nanos >= 0 {
            UNIX_EPOCH + Duration::from_nanos(nanos as u64)
        } else {
            UNIX_EPOCH - Duration::from_nanos((-nanos) as u64)
        };
        let tag = TimeTag::from_system_time(t).unwrap();
        prop_assert!(!tag.is_immediate());
        prop_assert_eq!(tag.to_system_time(), Some(t));
        prop_assert_eq!(TimeTag::from_raw(tag.to_raw()), tag);
    }

    #[test]
    fn tag_to_nanos_and_back_is_within_rounding(raw in 2u64.., other in 2u64..) {
        let tag = TimeTag::from_raw(raw);
        let n = tag.unix_nanos().unwrap();
        let back = TimeTag::from_unix_nanos(n).unwrap();
        // One nanosecond is 4.29 units: rounding to ns and back moves at most 3 units (less
        // than a nanosecond), and lands on the same nanosecond.
        prop_assert_eq!(back.unix_nanos(), Some(n));
        let diff = back.to_raw().wrapping_sub(tag.to_raw()) as i64;
        prop_assert!(diff.abs() <= 3, "{} -> {} -> {}", raw, n, back.to_raw());
        // Order follows time.
        let o = TimeTag::from_raw(other);
        if tag < o {
            prop_assert!(n <= o.unix_nanos().unwrap());
        }
    }

    #[test]
    fn tcp_frames_survive_any_chunking(
        frames in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..8),
        cuts in prop::collection::vec(1usize..40, 1..20),
    ) {
        let stream: Vec<u8> = frames.iter().flat_map(|f| kr_osc::tcp::frame(f).unwrap()).collect();
        let mut d = FrameDecoder::new(64);
        let mut got = vec![];
        let mut rest = &stream[..];
        let mut k = 0;
        while !rest.is_empty() {
            let n = cuts[k % cuts.len()].min(rest.len());
            d.push(&rest[..n]);
            rest = &rest[n..];
            k += 1;
            while let Some(f) = d.next_frame().unwrap() {
                got.push(f);
            }
        }
        prop_assert_eq!(got, frames);
        prop_assert!(d.finish().is_ok());
    }

    #[test]
    fn tcp_decoder_never_panics_on_garbage(chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..50), 0..10)) {
        let mut d = FrameDecoder::new(100);
        for c in chunks {
            d.push(&c);
            while let Ok(Some(f)) = d.next_frame() {
                decode_anything(&f);
            }
        }
        let _ = d.finish();
    }

    #[test]
    fn replies_and_notifications_never_panic(m in osc_message(), addr in prop::sample::select(vec![
        "/kr/done", "/kr/fail", "/kr/late", "/kr/status.reply", "/kr/notify/state",
        "/kr/notify/reload", "/kr/notify/xrun", "/kr/notify/late", "/kr/notify/error",
    ])) {
        let m = OscMessage { addr: addr.into(), args: m.args };
        if let Ok(r) = Reply::from_message(&m) {
            let _ = r.to_message();
        }
        if let Ok(n) = Notification::from_message(&m) {
            let _ = n.to_message();
        }
    }
}

#[test]
fn every_command_variant_is_generated_and_its_address_is_listed() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..5000 {
        let c = command().new_tree(&mut runner).unwrap().current();
        assert!(ADDRESSES.contains(&c.address()), "{}", c.address());
        seen.insert(c.address());
    }
    let all: std::collections::BTreeSet<_> = ADDRESSES.iter().copied().collect();
    assert_eq!(seen, all, "the strategy misses some addresses");
}

#[test]
fn structured_fuzz_reaches_the_validators() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut accepted, mut invalid) = (0, 0);
    for _ in 0..2000 {
        let m = osc_message().new_tree(&mut runner).unwrap().current();
        match decode_request(&m, &Limits::default()) {
            Ok(_) => accepted += 1,
            Err(DecodeError::Invalid { .. }) => invalid += 1,
            Err(_) => {}
        }
    }
    eprintln!("accepted {accepted}, invalid values {invalid} of 2000");
    assert!(accepted > 20 && invalid > 20, "accepted {accepted}, invalid {invalid}");
}

#[test]
fn serde_form_fills_optional_fields() {
    let r: Request = serde_json::from_str(r#"{"cmd":"scene_recall","name":"a","id":3}"#).unwrap();
    assert_eq!(r, Request { id: Some(3), command: Command::SceneRecall { name: "a".into(), cycles: 0.0 } });
    let r: Request = serde_json::from_str(r#"{"cmd":"subscribe"}"#).unwrap();
    assert_eq!(r.command, Command::Subscribe { seconds: 60.0 });
    let r: Request = serde_json::from_str(r#"{"cmd":"record_stop"}"#).unwrap();
    assert_eq!(r.command, Command::RecordStop { file: None });
}

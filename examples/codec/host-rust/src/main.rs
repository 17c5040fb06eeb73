//! A codec host in Rust: encodes frames through the plugin, streams them back through a
//! `decoder` resource in odd-sized chunks, verifies every frame, and checks the
//! `codec-error` cases.
//!
//! usage: codec-host-rust <plugin.so> [megabytes (default 1)]

include!(concat!(env!("OUT_DIR"), "/codec.rs"));

use exports::framing::{CodecError, Frame};
use std::process::ExitCode;

/// Frame `i` of a deterministic test sequence.
fn frame(i: u32) -> Frame {
    let len = (i.wrapping_mul(2654435761) >> 19) as usize % 9000;
    Frame {
        stream: i % 7,
        payload: (0..len).map(|k| (k as u32 ^ i) as u8).collect(),
    }
}

fn run(path: &str, megabytes: usize) -> Result<(), Box<dyn std::error::Error>> {
    let plugin = Codec::load(path)?;
    let d = plugin.descriptor();
    println!("rust host: loaded {} {}", d.plugin_name, d.plugin_version);
    let framing = plugin.framing();

    let mut wire = Vec::new();
    let mut count = 0u32;
    while wire.len() < megabytes << 20 {
        let bytes = framing
            .encode(&frame(count))?
            .map_err(|e| format!("encode: {e:?}"))?;
        wire.extend_from_slice(&bytes);
        count += 1;
    }

    let decoder = framing.decoder_new(65536)?;
    let mut next = 0u32;
    for chunk in wire.chunks(65521) {
        decoder.push(chunk)?.map_err(|e| format!("push: {e:?}"))?;
        while let Some(got) = decoder.pull()? {
            if got != frame(next) {
                return Err(format!("frame {next} differs").into());
            }
            next += 1;
        }
    }
    decoder.finish()?.map_err(|e| format!("finish: {e:?}"))?;
    if next != count {
        return Err(format!("decoded {next} of {count} frames").into());
    }
    println!(
        "rust host: streamed {} bytes in 65521-byte chunks: {next} of {count} frames verified",
        wire.len()
    );

    let small = framing.decoder_new(16)?;
    let too_large = small.push(&[0, 0, 0, 1, 0, 0, 0x03, 0xE8])?;
    if too_large != Err(CodecError::FrameTooLarge(1000)) {
        return Err(format!("expected frame-too-large(1000), got {too_large:?}").into());
    }
    small
        .push(&[0, 0, 0, 1, 0])?
        .map_err(|e| format!("push: {e:?}"))?;
    let truncated = small.finish()?;
    if truncated != Err(CodecError::Truncated(5)) {
        return Err(format!("expected truncated(5), got {truncated:?}").into());
    }
    println!(
        "rust host: errors reported as codec-error values: frame-too-large(1000), truncated(5)"
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 2 {
        eprintln!("usage: {} <plugin.so> [megabytes]", args[0]);
        return ExitCode::from(2);
    }
    let megabytes = args.get(2).and_then(|m| m.parse().ok()).unwrap_or(1);
    match run(&args[1], megabytes) {
        Ok(()) => {
            println!("rust host: OK");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("rust host: FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}

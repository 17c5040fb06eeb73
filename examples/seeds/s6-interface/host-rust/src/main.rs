//! Seed 003 (scenario S6) on plugport, the Rust host: loads the plugin, gets the seed's
//! `Test` object as a resource handle, calls every method and the callback inside the
//! returned struct, and compares every value with the seed's own. Exit status 0 only when
//! every value matches.
//!
//! usage: seed003-host-rust <libseed003_go.so>

include!(concat!(env!("OUT_DIR"), "/seed003.rs"));

use std::process::ExitCode;

/// Compares `got` with `want`, printing the value or returning the mismatch.
fn check<T: PartialEq + std::fmt::Debug>(what: &str, got: T, want: T) -> Result<(), String> {
    if got != want {
        return Err(format!("{what} = {got:?}, want {want:?}"));
    }
    println!("rust host: {what} = {got:?}");
    Ok(())
}

fn run(path: &str) -> Result<(), Box<dyn std::error::Error>> {
    let plugin = Seed003::load(path)?;
    let test = plugin.tester().return_interface()?;
    check(
        "TestReturnString()",
        test.test_return_string()?.as_str(),
        "ReturnInterface",
    )?;
    check("TestReturnInt()", test.test_return_int()?, 9876543210)?;
    check(
        "TestReturnFloat64()",
        test.test_return_float64()?,
        123.456789,
    )?;
    let st = test.test_return_struct()?;
    check("TestReturnStruct().A", st.a, 1234567890)?;
    check(
        "TestReturnStruct().B",
        st.b.as_str(),
        "哟哟,切克闹,煎饼果子来一套。",
    )?;
    check(
        "TestReturnStruct().C()",
        st.c.call()?.as_str(),
        "我是一个粉刷匠,粉刷本领强",
    )?;
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 2 {
        eprintln!("usage: {} <plugin.so>", args[0]);
        return ExitCode::from(2);
    }
    match run(&args[1]) {
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

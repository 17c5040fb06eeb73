//! The `test:users@1.0.0` plugin in Rust (scenario S3): the `user` record is the type
//! generated from the WIT, the same definition the C plugin (`tests/lifecycle/c/users.c`)
//! gets from the generated header.

include!(concat!(env!("OUT_DIR"), "/users.rs"));

use exports::directory::User;

struct Directory;

impl exports::directory::Guest for Directory {
    fn describe(u: User) -> String {
        format!("{} ({})", u.name, u.age)
    }

    fn oldest(users: Vec<User>) -> Option<User> {
        // The first one on a tie, like the C plugin.
        users
            .into_iter()
            .fold(None, |best: Option<User>, u| match best {
                Some(b) if b.age >= u.age => Some(b),
                _ => Some(u),
            })
    }
}

export_users!(Directory, name: "users-rust", version: "1.0.0");

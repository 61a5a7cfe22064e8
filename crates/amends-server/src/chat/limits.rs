//! How fast a visitor may write, and how many chats one address may start: a bucket per chat
//! and per address in this server's memory (the core's `Bucket`), answered 429 past it. A
//! crowd behind one address (an office, a mobile network) shares its address's larger bucket.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use amends_core::chat::{Allowance, Bucket};
use amends_core::Timestamp;

use crate::AppError;

/// A visitor's lines: 10 at once, then one a second.
const PER_CHAT: Allowance = Allowance {
    burst: 10,
    every_millis: 1_000,
};

/// Lines from one address: 60 at once, then five a second.
const PER_ADDRESS: Allowance = Allowance {
    burst: 60,
    every_millis: 200,
};

/// Chats started from one address: 20 at once, then one every 10 seconds.
const STARTS_PER_ADDRESS: Allowance = Allowance {
    burst: 20,
    every_millis: 10_000,
};

/// Past this many buckets, full ones are forgotten (a full bucket is the same as none).
const KEPT: usize = 50_000;

/// The buckets of one server.
#[derive(Default)]
pub(crate) struct Limiter {
    buckets: Mutex<HashMap<(u8, String), Bucket>>,
}

impl Limiter {
    /// Takes one start from `address`'s allowance.
    pub(crate) fn start(&self, address: Option<&str>, now: Timestamp) -> Result<(), AppError> {
        let Some(address) = address else {
            return Ok(());
        };
        self.take(&[(0, address.to_owned(), STARTS_PER_ADDRESS)], now)
    }

    /// Takes one line from the chat's allowance and from its address's.
    pub(crate) fn line(
        &self,
        chat_id: i64,
        address: Option<&str>,
        now: Timestamp,
    ) -> Result<(), AppError> {
        let mut wanted = vec![(1, chat_id.to_string(), PER_CHAT)];
        if let Some(address) = address {
            wanted.push((2, address.to_owned(), PER_ADDRESS));
        }
        self.take(&wanted, now)
    }

    /// Takes one from each of `wanted`, or from none when any is empty.
    fn take(&self, wanted: &[(u8, String, Allowance)], now: Timestamp) -> Result<(), AppError> {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() > KEPT {
            buckets.retain(|(kind, _), bucket| {
                let allowance = [STARTS_PER_ADDRESS, PER_CHAT, PER_ADDRESS][usize::from(*kind)];
                bucket.take(allowance, now).is_some_and(|after| {
                    after.left_milli + 1_000 < i64::from(allowance.burst) * 1_000
                })
            });
        }
        let mut taken = Vec::with_capacity(wanted.len());
        for (kind, key, allowance) in wanted {
            let slot = (*kind, key.clone());
            let bucket = buckets
                .get(&slot)
                .copied()
                .unwrap_or_else(|| Bucket::full(*allowance, now));
            let Some(after) = bucket.take(*allowance, now) else {
                let wait = ((allowance.every_millis + 999) / 1_000).max(1);
                return Err(AppError::TooManyAttempts {
                    message: "too many messages at once; wait a moment",
                    retry_after_seconds: u64::try_from(wait).unwrap_or(1),
                });
            };
            taken.push((slot, after));
        }
        buckets.extend(taken);
        Ok(())
    }
}

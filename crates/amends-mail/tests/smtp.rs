//! Sending through a relay that requires a login: the credentials in the URL are used, and a
//! wrong password is a failure that says so (never a silent success).

use std::time::Duration;

use amends_mail::testing::SmtpCapture;
use amends_mail::{Mailer, SendError};

const MAIL: &[u8] =
    b"From: care@shop.example\r\nTo: ann@example.com\r\nSubject: hi\r\n\r\nHello.\r\n";

#[tokio::test]
async fn a_relay_that_requires_a_login_takes_mail_only_with_the_right_one() {
    let Some(smtp) = SmtpCapture::start_with_login("desk@shop.example:s3cret:x") else {
        return;
    };
    let timeout = Duration::from_secs(10);
    let good = format!(
        "smtp://desk%40shop.example:s3cret%3Ax@127.0.0.1:{}?tls=none",
        smtp.port
    );
    let mailer = Mailer::from_url(&good, timeout).unwrap();
    mailer
        .send("care@shop.example", "ann@example.com", MAIL)
        .await
        .unwrap();
    assert_eq!(smtp.received().len(), 1);

    let wrong = format!(
        "smtp://desk%40shop.example:guess@127.0.0.1:{}?tls=none",
        smtp.port
    );
    let refused = Mailer::from_url(&wrong, timeout)
        .unwrap()
        .send("care@shop.example", "ann@example.com", MAIL)
        .await;
    assert!(
        matches!(refused, Err(SendError::Permanent(_))),
        "{refused:?}"
    );
    let anonymous = format!("smtp://127.0.0.1:{}?tls=none", smtp.port);
    let refused = Mailer::from_url(&anonymous, timeout)
        .unwrap()
        .send("care@shop.example", "ann@example.com", MAIL)
        .await;
    assert!(refused.is_err(), "{refused:?}");
    assert_eq!(smtp.received().len(), 1, "nothing more was taken");
}

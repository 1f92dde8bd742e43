//! Per-connection limits: a flooding client is closed (4429) while another connection in the
//! same call keeps being served; invalid messages are answered one by one and the tenth closes
//! the connection (4400). The negative control: a client that stays within its budget is never
//! cut off, so the checker would notice a limiter that cut everybody.

use serde_json::json;

use super::harness::*;
use super::on_both_backends;

on_both_backends!(
    a_flooding_client_is_cut_off_and_the_others_in_the_call_carry_on,
    invalid_messages_are_answered_and_the_tenth_closes_the_connection,
);

async fn a_flooding_client_is_cut_off_and_the_others_in_the_call_carry_on(kind: Kind) {
    let (app, case_id, token, clerk) = case_in_waiting_room(kind, true).await;
    let mut desk = Ws::connect(&app, &clerk).await;
    desk.join(json!({"case_id": case_id.to_string()})).await;
    desk.expect("admitted").await;
    let mut flooder = Ws::connect(&app, &Who::Nobody).await;
    flooder.join(json!({"token": token.expose()})).await;
    flooder.expect("admitted").await;

    // Negative control: 50 messages (within the burst of 100) are all answered.
    for _ in 0..50 {
        desk.send(json!({"v": 1, "type": "ping"})).await;
    }
    for _ in 0..50 {
        desk.expect("pong").await;
    }
    // The flood: 2,000 chat lines at once.
    for i in 0..2000 {
        let sent = flooder
            .send_text_lossy(&format!(r#"{{"v":1,"type":"chat","text":"flood {i}"}}"#))
            .await;
        if !sent {
            break;
        }
    }
    assert_eq!(flooder.closed().await, Ended::Close(4429));
    // The clerk's connection still works, and got at most the burst of the flood.
    desk.send(json!({"v": 1, "type": "ping"})).await;
    let mut flood_lines = 0;
    loop {
        let message = desk.next().await.expect("the clerk stays connected");
        match message["type"].as_str() {
            Some("pong") => break,
            Some("chat") => flood_lines += 1,
            _ => {}
        }
    }
    assert!(flood_lines <= 100, "{flood_lines} flood lines got through");
}

async fn invalid_messages_are_answered_and_the_tenth_closes_the_connection(kind: Kind) {
    let (app, _case_id, token, _clerk) = case_in_waiting_room(kind, false).await;
    let mut ws = Ws::connect(&app, &Who::Nobody).await;
    ws.join(json!({"token": token.expose()})).await;
    ws.expect("waiting").await;
    let bad = [
        r#"{"v":1,"type":"reboot"}"#,
        r#"{"v":2,"type":"ping"}"#,
        r#"not json"#,
        r#"{"v":1,"type":"ping","admin":true}"#,
        r#"{"v":1,"type":"chat","text":""}"#,
    ];
    for text in bad {
        ws.send_text(text).await;
        let error = ws.expect("error").await;
        assert_eq!(error["problem"]["status"], 400, "{text}");
    }
    // Valid messages still work between the invalid ones.
    ws.send(json!({"v": 1, "type": "ping"})).await;
    ws.expect("pong").await;
    for text in bad {
        ws.send_text(text).await;
    }
    assert_eq!(ws.closed().await, Ended::Close(4400));
}

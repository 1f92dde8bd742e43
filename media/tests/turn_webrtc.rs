//! Two peers of an independent WebRTC stack (webrtc-rs 0.21) with `iceTransportPolicy: relay`
//! and the `iceServers` our [`TurnServers`] mints, connected through a real coturn locked to
//! loopback's 127.0.0.1 (standing in for the SFU address; later one side becomes the SFU). They
//! exchange data-channel messages only through coturn's relay. webrtc-rs 0.21 speaks TURN over
//! UDP only (it skips `?transport=tcp` URLs); TCP is covered by `turn_relay.rs` with the RFC
//! client and by the browser tests.

#[path = "turn_support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use media::signal::message::IceServer;
use rtc::ice::mdns::MulticastDnsMode;
use support::{minting, start, NEW};
use testkit::coturn::Coturn;
use tokio::sync::mpsc;
use tokio::time::timeout;
use webrtc::data_channel::{DataChannel, DataChannelEvent};
use webrtc::peer_connection::{
    PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler, RTCConfigurationBuilder,
    RTCIceGatheringState, RTCIceServer, RTCIceTransportPolicy, RTCPeerConnectionState,
    SettingEngineBuilder,
};

const WAIT: Duration = Duration::from_secs(20);

/// Forwards the events a test waits for into channels.
struct Events {
    gathered: mpsc::UnboundedSender<()>,
    connected: mpsc::UnboundedSender<RTCPeerConnectionState>,
    channel: mpsc::UnboundedSender<Arc<dyn DataChannel>>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Events {
    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            let _ = self.gathered.send(());
        }
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        let _ = self.connected.send(state);
    }

    async fn on_data_channel(&self, channel: Arc<dyn DataChannel>) {
        let _ = self.channel.send(channel);
    }
}

struct Peer {
    pc: Box<dyn PeerConnection>,
    gathered: mpsc::UnboundedReceiver<()>,
    states: mpsc::UnboundedReceiver<RTCPeerConnectionState>,
    channels: mpsc::UnboundedReceiver<Arc<dyn DataChannel>>,
}

async fn peer(ice_servers: Vec<IceServer>) -> Peer {
    let (gathered_tx, gathered) = mpsc::unbounded_channel();
    let (state_tx, states) = mpsc::unbounded_channel();
    let (channel_tx, channels) = mpsc::unbounded_channel();
    let ice_servers = ice_servers
        .into_iter()
        .map(|server| RTCIceServer {
            urls: server.urls,
            username: server.username.unwrap_or_default(),
            credential: server.credential.unwrap_or_default(),
        })
        .collect();
    let configuration = RTCConfigurationBuilder::new()
        .with_ice_servers(ice_servers)
        .with_ice_transport_policy(RTCIceTransportPolicy::Relay)
        .build();
    // mDNS needs a multicast-capable interface, which a loopback-only machine does not have.
    let settings = SettingEngineBuilder::new()
        .with_multicast_dns_mode(MulticastDnsMode::Disabled)
        .build();
    let pc = PeerConnectionBuilder::new()
        .with_configuration(configuration)
        .with_setting_engine(settings)
        .with_handler(Arc::new(Events {
            gathered: gathered_tx,
            connected: state_tx,
            channel: channel_tx,
        }))
        .with_udp_addrs(vec!["127.0.0.1:0"])
        .build()
        .await
        .unwrap();
    Peer {
        pc: Box::new(pc),
        gathered,
        states,
        channels,
    }
}

/// Sets `description` locally, waits for gathering to complete, and returns the final SDP.
async fn gather(
    peer: &mut Peer,
    description: webrtc::peer_connection::RTCSessionDescription,
) -> webrtc::peer_connection::RTCSessionDescription {
    peer.pc.set_local_description(description).await.unwrap();
    timeout(WAIT, peer.gathered.recv())
        .await
        .expect("ICE gathering completes");
    peer.pc.local_description().await.unwrap()
}

/// The ports of the candidates in `sdp`, each with its type.
fn candidates(sdp: &str) -> Vec<(String, u16)> {
    sdp.lines()
        .filter_map(|line| line.strip_prefix("a=candidate:"))
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let port = fields.get(5)?.parse().ok()?;
            let kind = fields.iter().position(|f| *f == "typ")?;
            Some(((*fields.get(kind + 1)?).to_owned(), port))
        })
        .collect()
}

async fn wait_connected(peer: &mut Peer) {
    timeout(WAIT, async {
        while let Some(state) = peer.states.recv().await {
            assert_ne!(
                state,
                RTCPeerConnectionState::Failed,
                "the connection failed"
            );
            if state == RTCPeerConnectionState::Connected {
                return;
            }
        }
    })
    .await
    .expect("the peers connect through coturn");
}

async fn next_message(channel: &Arc<dyn DataChannel>) -> String {
    timeout(WAIT, async {
        while let Some(event) = channel.poll().await {
            if let DataChannelEvent::OnMessage(message) = event {
                return String::from_utf8_lossy(&message.data).into_owned();
            }
        }
        panic!("the data channel closed");
    })
    .await
    .expect("a message arrives")
}

async fn wait_open(channel: &Arc<dyn DataChannel>) {
    timeout(WAIT, async {
        while let Some(event) = channel.poll().await {
            if matches!(event, DataChannelEvent::OnOpen) {
                return;
            }
        }
        panic!("the data channel closed before it opened");
    })
    .await
    .expect("the data channel opens");
}

fn assert_relayed_by(coturn: &Coturn, sdp: &str) {
    let found = candidates(sdp);
    assert!(!found.is_empty(), "no candidates:\n{sdp}");
    let (low, high) = coturn.relay_ports();
    for (kind, port) in found {
        assert_eq!(kind, "relay", "{sdp}");
        assert!((low..=high).contains(&port), "port {port} is not coturn's");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_webrtc_rs_peers_forced_to_relay_exchange_messages_through_coturn_with_minted_credentials(
) {
    let coturn = start(&[NEW]);
    let servers = minting(&coturn, &[NEW]);
    let mut citizen = peer(servers.ice_servers("citizen-peer", Utc::now()).unwrap()).await;
    let mut clerk = peer(servers.ice_servers("clerk-peer", Utc::now()).unwrap()).await;

    let channel = citizen.pc.create_data_channel("chat", None).await.unwrap();
    let offer = citizen.pc.create_offer(None).await.unwrap();
    let offer = gather(&mut citizen, offer).await;
    assert_relayed_by(&coturn, &offer.sdp);
    clerk.pc.set_remote_description(offer).await.unwrap();
    let answer = clerk.pc.create_answer(None).await.unwrap();
    let answer = gather(&mut clerk, answer).await;
    assert_relayed_by(&coturn, &answer.sdp);
    citizen.pc.set_remote_description(answer).await.unwrap();

    wait_connected(&mut citizen).await;
    wait_connected(&mut clerk).await;
    wait_open(&channel).await;
    let received = timeout(WAIT, clerk.channels.recv())
        .await
        .expect("the clerk gets the channel")
        .unwrap();
    channel.send_text("Guten Tag").await.unwrap();
    assert_eq!(next_message(&received).await, "Guten Tag");
    received.send_text("Willkommen").await.unwrap();
    assert_eq!(next_message(&channel).await, "Willkommen");

    citizen.pc.close().await.unwrap();
    clerk.pc.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_with_an_expired_credential_gathers_no_relay_candidate() {
    // The control of the test above: the same peer setup with a credential that expired an hour
    // ago gets nothing from coturn, so with relay-only ICE it has no candidate at all.
    let coturn = start(&[NEW]);
    let servers = minting(&coturn, &[NEW]);
    let two_hours_ago = Utc::now() - chrono::Duration::hours(2);
    let mut late = peer(servers.ice_servers("late-peer", two_hours_ago).unwrap()).await;
    let _channel = late.pc.create_data_channel("chat", None).await.unwrap();
    let offer = late.pc.create_offer(None).await.unwrap();
    let offer = gather(&mut late, offer).await;
    assert_eq!(candidates(&offer.sdp), vec![], "{}", offer.sdp);
    late.pc.close().await.unwrap();
}

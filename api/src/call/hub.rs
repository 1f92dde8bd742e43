//! The rooms of one process: who is connected to which case's call, and the broadcast that
//! carries presence, chat and the end of the call to every connection of the case.
//!
//! Invariants: one connection per participant (a newer one replaces the older, which is told
//! and closes); the lock is held only for map updates, never across an `.await`; a room
//! disappears with its last connection.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use domain::video_session::Participant;
use domain::{CaseId, VideoSessionId};
use media::signal::message::{MediaState, ParticipantInfo, ServerMessage};
use tokio::sync::broadcast;

/// How many room signals a slow connection may fall behind before it is closed (it then
/// reconnects and gets a fresh state).
const ROOM_BACKLOG: usize = 256;

/// What every connection of a case hears.
#[derive(Debug, Clone)]
pub enum RoomSignal {
    /// The clerk opened the call: waiting participants are admitted.
    Opened { session_id: VideoSessionId },
    /// The participants changed.
    Participants(Vec<ParticipantInfo>),
    /// A chat line (already a server message).
    Chat(ServerMessage),
    /// The call ended for everybody.
    Ended { reason: String },
    /// This connection was replaced by a newer one of the same participant.
    Replaced { peer_id: String },
}

/// One connection in a room.
#[derive(Debug, Clone)]
pub struct Member {
    pub peer_id: String,
    pub participant: Participant,
    pub role: &'static str,
    pub name: &'static str,
    /// Admitted into the call (media allowed), not only waiting.
    pub admitted: bool,
    /// Media is connected at the SFU.
    pub connected: bool,
    pub media: MediaState,
}

impl Member {
    fn info(&self) -> ParticipantInfo {
        ParticipantInfo {
            peer_id: self.peer_id.clone(),
            role: self.role.to_owned(),
            name: self.name.to_owned(),
            connected: self.connected,
            media: self.media,
        }
    }
}

#[derive(Debug)]
struct Room {
    signals: broadcast::Sender<RoomSignal>,
    members: BTreeMap<String, Member>,
}

/// Every room of this process. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Hub {
    rooms: Arc<Mutex<HashMap<CaseId, Room>>>,
}

impl Hub {
    fn rooms(&self) -> MutexGuard<'_, HashMap<CaseId, Room>> {
        // A panic while holding the lock leaves only plain maps behind: still consistent.
        self.rooms
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds a connection to the case's room and subscribes it. An older connection of the same
    /// participant is removed and told it was replaced.
    pub fn enter(&self, case_id: CaseId, member: Member) -> broadcast::Receiver<RoomSignal> {
        let mut rooms = self.rooms();
        let room = rooms.entry(case_id).or_insert_with(|| Room {
            signals: broadcast::channel(ROOM_BACKLOG).0,
            members: BTreeMap::new(),
        });
        let receiver = room.signals.subscribe();
        let older: Vec<String> = room
            .members
            .values()
            .filter(|m| m.participant == member.participant)
            .map(|m| m.peer_id.clone())
            .collect();
        for peer_id in older {
            room.members.remove(&peer_id);
            let _ = room.signals.send(RoomSignal::Replaced { peer_id });
        }
        room.members.insert(member.peer_id.clone(), member);
        let _ = room
            .signals
            .send(RoomSignal::Participants(Self::infos(room)));
        receiver
    }

    /// Changes a connection's entry and tells the room; false if it is no longer there.
    pub fn update(&self, case_id: CaseId, peer_id: &str, change: impl FnOnce(&mut Member)) -> bool {
        let mut rooms = self.rooms();
        let Some(room) = rooms.get_mut(&case_id) else {
            return false;
        };
        let Some(member) = room.members.get_mut(peer_id) else {
            return false;
        };
        change(member);
        let _ = room
            .signals
            .send(RoomSignal::Participants(Self::infos(room)));
        true
    }

    /// Removes a connection. Returns whether it was still the participant's current one (false
    /// after it was replaced), and whether another connection of the participant remains.
    pub fn leave(&self, case_id: CaseId, peer_id: &str) -> Option<Member> {
        let mut rooms = self.rooms();
        let room = rooms.get_mut(&case_id)?;
        let member = room.members.remove(peer_id);
        if room.members.is_empty() {
            rooms.remove(&case_id);
        } else if member.is_some() {
            let _ = room
                .signals
                .send(RoomSignal::Participants(Self::infos(room)));
        }
        member
    }

    /// True if a connection of `participant` is in the case's room.
    pub fn is_present(&self, case_id: CaseId, participant: &Participant) -> bool {
        self.rooms()
            .get(&case_id)
            .is_some_and(|room| room.members.values().any(|m| &m.participant == participant))
    }

    /// True while anybody is connected to the case's call (a room has at least one member).
    pub fn has_room(&self, case_id: CaseId) -> bool {
        self.rooms().contains_key(&case_id)
    }

    /// Sends a signal to every connection of the case.
    pub fn broadcast(&self, case_id: CaseId, signal: RoomSignal) {
        if let Some(room) = self.rooms().get(&case_id) {
            let _ = room.signals.send(signal);
        }
    }

    /// Everybody in the case's room now.
    pub fn participants(&self, case_id: CaseId) -> Vec<ParticipantInfo> {
        self.rooms()
            .get(&case_id)
            .map(Self::infos)
            .unwrap_or_default()
    }

    /// Open rooms and connections, for `/ready` and the logs.
    pub fn counts(&self) -> (usize, usize) {
        let rooms = self.rooms();
        (rooms.len(), rooms.values().map(|r| r.members.len()).sum())
    }

    fn infos(room: &Room) -> Vec<ParticipantInfo> {
        room.members.values().map(Member::info).collect()
    }
}

#[cfg(test)]
mod tests {
    use domain::{CitizenId, ClerkId};
    use uuid::Uuid;

    use super::*;

    fn member(peer: &str, participant: Participant) -> Member {
        Member {
            peer_id: peer.into(),
            participant,
            role: "citizen",
            name: "Bürger/in",
            admitted: false,
            connected: false,
            media: MediaState::default(),
        }
    }

    const CASE: CaseId = CaseId(Uuid::from_u128(1));
    const CITIZEN: Participant = Participant::Citizen(CitizenId(Uuid::from_u128(2)));
    const CLERK: Participant = Participant::Clerk(ClerkId(Uuid::from_u128(3)));

    #[test]
    fn a_newer_connection_of_the_same_participant_replaces_the_older_one() {
        let hub = Hub::default();
        let mut first = hub.enter(CASE, member("p1", CITIZEN));
        let _second = hub.enter(CASE, member("p2", CITIZEN));
        let mut replaced = None;
        while let Ok(signal) = first.try_recv() {
            if let RoomSignal::Replaced { peer_id } = signal {
                replaced = Some(peer_id);
            }
        }
        assert_eq!(replaced.as_deref(), Some("p1"));
        let peers: Vec<_> = hub
            .participants(CASE)
            .into_iter()
            .map(|p| p.peer_id)
            .collect();
        assert_eq!(peers, vec!["p2"]);
        assert!(
            hub.leave(CASE, "p1").is_none(),
            "the replaced one is gone already"
        );
        assert!(hub.is_present(CASE, &CITIZEN));
    }

    #[test]
    fn the_room_disappears_with_its_last_connection() {
        let hub = Hub::default();
        let _a = hub.enter(CASE, member("p1", CITIZEN));
        let _b = hub.enter(CASE, member("p2", CLERK));
        assert_eq!(hub.counts(), (1, 2));
        assert!(hub.leave(CASE, "p1").is_some());
        assert!(!hub.is_present(CASE, &CITIZEN));
        assert!(hub.leave(CASE, "p2").is_some());
        assert_eq!(hub.counts(), (0, 0));
    }
}

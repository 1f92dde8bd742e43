//! The buergeramt service.

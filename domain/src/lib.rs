//! Domain of buergeramt.

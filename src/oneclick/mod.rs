//! HTTP client for the OneClickDZ API v3 (placeholder until the client lands).

-- Calls as the phone system reported them over CTI: one record per call id, the fold of
-- its events (`CallRecord`), with the version that last changed it (desktops pull calls
-- like everything else) and how many events it took in (a call is refused more than
-- `MAX_CALL_EVENTS`, so a runaway PBX cannot grow one row without bound).
CREATE TABLE calls (
    call_id    text PRIMARY KEY,
    version    bigint NOT NULL,
    started_at bigint NOT NULL,
    events     bigint NOT NULL,
    data       text NOT NULL
);
CREATE INDEX calls_version ON calls (version);

-- Phone systems allowed to post call events (`POST /v1/cti/{token}`): the token only as
-- its SHA-256; `allowed_sources` a JSON array of IP addresses or CIDR networks (empty:
-- anywhere). Not synced to desktops, so no version.
CREATE TABLE cti_integrations (
    id              uuid PRIMARY KEY,
    name            text NOT NULL UNIQUE,
    token_hash      text NOT NULL UNIQUE,
    allowed_sources text NOT NULL,
    created_at      bigint NOT NULL,
    token_made_at   bigint NOT NULL
);

-- Where the access contract lives. One row per chain the api has deployed to;
-- a restart reuses it, and a chain that lost the contract is detected rather
-- than silently redeployed over an existing audit trail.
CREATE TABLE chain_deployment (
    chain_id         BIGINT PRIMARY KEY,
    contract_address BYTEA NOT NULL CHECK (octet_length(contract_address) = 20),
    deploy_block     BIGINT NOT NULL CHECK (deploy_block >= 0),
    deploy_tx        BYTEA NOT NULL CHECK (octet_length(deploy_tx) = 32),
    code_hash        BYTEA NOT NULL CHECK (octet_length(code_hash) = 32),
    deployed_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

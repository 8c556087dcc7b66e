-- AdGen schema, generated from db/models.py by `python -m db.schema` (make schema).
-- Do not edit by hand: change the models and regenerate. See docs/schema.md.

CREATE TABLE image_matching (
	id SERIAL NOT NULL,
	file_hash VARCHAR(64) NOT NULL,
	file_directory TEXT NOT NULL,
	file_type VARCHAR(10) NOT NULL,
	created_at TIMESTAMP WITHOUT TIME ZONE DEFAULT CURRENT_TIMESTAMP,
	CONSTRAINT image_matching_pkey PRIMARY KEY (id),
	CONSTRAINT image_matching_file_hash_key UNIQUE (file_hash),
	CONSTRAINT image_matching_file_type_check CHECK (file_type IN ('input', 'generated'))
);

CREATE INDEX idx_img_file_hash ON image_matching (file_hash);

CREATE TABLE revoked_token (
	jti VARCHAR(64) NOT NULL,
	user_id INTEGER,
	expires_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
	CONSTRAINT revoked_token_pkey PRIMARY KEY (jti)
);

CREATE TABLE "user" (
	user_id SERIAL NOT NULL,
	login_id VARCHAR(50) NOT NULL,
	login_pw VARCHAR(255) NOT NULL,
	created_at TIMESTAMP WITHOUT TIME ZONE DEFAULT CURRENT_TIMESTAMP,
	login_key VARCHAR(50),
	CONSTRAINT user_pkey PRIMARY KEY (user_id),
	CONSTRAINT user_login_id_key UNIQUE (login_id),
	CONSTRAINT user_login_key_key UNIQUE (login_key)
);

CREATE INDEX idx_user_login_id ON "user" (login_id);

CREATE TABLE chat_history (
	id SERIAL NOT NULL,
	user_id INTEGER,
	session_id VARCHAR(64) NOT NULL,
	message_id INTEGER NOT NULL,
	role VARCHAR(10) NOT NULL,
	content TEXT NOT NULL,
	input_image_hash VARCHAR(64),
	gen_image_url TEXT,
	created_at TIMESTAMP WITHOUT TIME ZONE DEFAULT CURRENT_TIMESTAMP,
	CONSTRAINT chat_history_pkey PRIMARY KEY (id),
	CONSTRAINT chat_history_role_check CHECK (role IN ('user', 'assistant')),
	CONSTRAINT chat_history_session_id_message_id_key UNIQUE (session_id, message_id),
	CONSTRAINT chat_history_user_id_fkey FOREIGN KEY(user_id) REFERENCES "user" (user_id) ON DELETE SET NULL
);

CREATE INDEX idx_chat_session ON chat_history (session_id);

CREATE INDEX idx_chat_user_session ON chat_history (user_id, session_id);

CREATE TABLE generation_history (
	id SERIAL NOT NULL,
	user_id INTEGER,
	input_text TEXT NOT NULL,
	input_image_hash VARCHAR(64),
	content_type VARCHAR(10),
	output_url TEXT,
	generation_method VARCHAR(20),
	style TEXT,
	industry VARCHAR(50),
	seed INTEGER,
	aspect_ratio VARCHAR(10),
	created_at TIMESTAMP WITHOUT TIME ZONE DEFAULT CURRENT_TIMESTAMP,
	session_id VARCHAR(64),
	bare_image_hash VARCHAR(64),
	ad_copy JSONB,
	copy_backend VARCHAR(20),
	image_backend VARCHAR(20),
	task_id VARCHAR(32),
	CONSTRAINT generation_history_pkey PRIMARY KEY (id),
	CONSTRAINT generation_history_content_type_check CHECK (content_type IN ('image', 'text', 'both')),
	CONSTRAINT generation_history_generation_method_check CHECK (generation_method IN ('t2i', 'controlnet')),
	CONSTRAINT generation_history_aspect_ratio_check CHECK (aspect_ratio IN ('1:1', '4:3', '3:4')),
	CONSTRAINT generation_history_task_id_seed_key UNIQUE (task_id, seed),
	CONSTRAINT generation_history_user_id_fkey FOREIGN KEY(user_id) REFERENCES "user" (user_id) ON DELETE SET NULL
);

CREATE INDEX idx_gen_created_at ON generation_history (created_at DESC);

CREATE INDEX idx_gen_user_created ON generation_history (user_id, created_at DESC, id DESC);

CREATE INDEX idx_gen_user_id ON generation_history (user_id);

CREATE TABLE image_ownership (
	file_hash VARCHAR(64) NOT NULL,
	user_id INTEGER NOT NULL,
	CONSTRAINT image_ownership_pkey PRIMARY KEY (file_hash, user_id),
	CONSTRAINT image_ownership_file_hash_fkey FOREIGN KEY(file_hash) REFERENCES image_matching (file_hash) ON DELETE CASCADE,
	CONSTRAINT image_ownership_user_id_fkey FOREIGN KEY(user_id) REFERENCES "user" (user_id) ON DELETE CASCADE
);

CREATE INDEX idx_img_owner_user_id ON image_ownership (user_id);

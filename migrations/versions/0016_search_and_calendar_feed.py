"""Search over the training content (a full-text index of module pages, the glossary and key
questions), and the hash of the secret in each person's training calendar address

SQLite's FTS5 and PostgreSQL's full-text search hold the same rows; app/learning/search.py fills them
from the content catalogue and reads them. The index is derived data (rebuilt whenever the content
changes), not a model: migrations/env.py and the schema comparison leave tables named content_search*
alone.

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-05 06:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE TABLE content_search (
                id serial PRIMARY KEY,
                kind text NOT NULL,
                target text NOT NULL,
                title text NOT NULL,
                body text NOT NULL,
                place text NOT NULL,
                citation text NOT NULL,
                -- Titles weigh more than the text; English stemming, as FTS5's porter tokenizer does.
                document tsvector GENERATED ALWAYS AS (
                    setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')
                ) STORED
            )
            """
        )
        op.execute("CREATE INDEX ix_content_search_document ON content_search USING gin (document)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE content_search USING fts5("
            "kind UNINDEXED, target UNINDEXED, title, body, place UNINDEXED, citation UNINDEXED, "
            "tokenize = 'porter unicode61')"
        )
    # The catalogue the index was built from (a fingerprint of its text): one row.
    op.execute("CREATE TABLE content_search_state (id integer PRIMARY KEY, fingerprint text NOT NULL)")
    # Empty: the first search, or `flask search-index`, builds the index.
    op.execute("INSERT INTO content_search_state (id, fingerprint) VALUES (1, '')")

    with op.batch_alter_table("user_account") as table:
        table.add_column(sa.Column("calendar_feed_hash", sa.String(length=64), nullable=True))
        table.create_unique_constraint("uq_user_account_calendar_feed_hash", ["calendar_feed_hash"])


def downgrade():
    with op.batch_alter_table("user_account") as table:
        table.drop_constraint("uq_user_account_calendar_feed_hash", type_="unique")
        table.drop_column("calendar_feed_hash")
    op.execute("DROP TABLE content_search_state")
    op.execute("DROP TABLE content_search")

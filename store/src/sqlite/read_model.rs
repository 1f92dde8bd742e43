//! Read-model rows and checkpoints on SQLite. A commit goes through the single write connection
//! with `BEGIN IMMEDIATE`, so the checkpoint check and the row writes are one atomic step.

use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row as _, SqliteConnection};

use super::{to_sql_int, SqliteStore};
use crate::read_model::Row;
use crate::{Cursor, ReadModelStore, RowOp, StoreError, StreamId};

async fn stored_checkpoint(
    conn: &mut SqliteConnection,
    projection: &str,
) -> Result<Cursor, StoreError> {
    let row =
        sqlx::query("SELECT tx_id, position FROM projection_checkpoints WHERE projection = ?")
            .bind(projection)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(row) = row else {
        return Ok(Cursor::START);
    };
    let tx_id: i64 = row.try_get("tx_id")?;
    let position: i64 = row.try_get("position")?;
    match (u64::try_from(tx_id), u64::try_from(position)) {
        (Ok(tx_id), Ok(position)) => Ok(Cursor { tx_id, position }),
        _ => Err(StoreError::Corrupt(
            "a stored checkpoint is negative".into(),
        )),
    }
}

fn row_from(row: &SqliteRow) -> Result<Row, StoreError> {
    let doc: String = row.try_get("doc")?;
    Ok(Row {
        key: row.try_get("key")?,
        partition: row.try_get("partition")?,
        doc: serde_json::from_str(&doc)
            .map_err(|_| StoreError::Corrupt("a read-model document is not JSON".into()))?,
    })
}

#[async_trait]
impl ReadModelStore for SqliteStore {
    async fn checkpoint(&self, projection: &str) -> Result<Cursor, StoreError> {
        let mut conn = self.read.acquire().await?;
        stored_checkpoint(&mut conn, projection).await
    }

    async fn commit_projection(
        &self,
        projection: &str,
        from: Cursor,
        to: Cursor,
        ops: Vec<RowOp>,
    ) -> Result<(), StoreError> {
        // A projection's name doubles as the "stream" a conflict names.
        let name = StreamId::new(projection)?;
        let to_tx = to_sql_int(to.tx_id, "the checkpoint's transaction id")?;
        let to_position = to_sql_int(to.position, "the checkpoint's position")?;
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        let stored = stored_checkpoint(&mut tx, projection).await?;
        if stored != from {
            tx.rollback().await?;
            return Err(StoreError::Conflict {
                stream: name,
                expected: from.position,
                actual: stored.position,
            });
        }
        for op in ops {
            match op {
                RowOp::Upsert {
                    key,
                    partition,
                    doc,
                } => {
                    let doc = serde_json::to_string(&doc).map_err(|_| {
                        StoreError::InvalidInput("a read-model document is not serialisable".into())
                    })?;
                    sqlx::query(
                        "INSERT INTO projection_rows (projection, \"key\", \"partition\", doc) \
                         VALUES (?, ?, ?, ?) \
                         ON CONFLICT (projection, \"key\") DO UPDATE \
                         SET \"partition\" = excluded.\"partition\", doc = excluded.doc",
                    )
                    .bind(projection)
                    .bind(key)
                    .bind(partition)
                    .bind(doc)
                    .execute(&mut *tx)
                    .await?;
                }
                RowOp::Delete { key } => {
                    sqlx::query("DELETE FROM projection_rows WHERE projection = ? AND \"key\" = ?")
                        .bind(projection)
                        .bind(key)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        sqlx::query(
            "INSERT INTO projection_checkpoints (projection, tx_id, position) VALUES (?, ?, ?) \
             ON CONFLICT (projection) DO UPDATE \
             SET tx_id = excluded.tx_id, position = excluded.position",
        )
        .bind(projection)
        .bind(to_tx)
        .bind(to_position)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn row(&self, projection: &str, key: &str) -> Result<Option<Row>, StoreError> {
        let row = sqlx::query(
            "SELECT \"key\", \"partition\", doc FROM projection_rows \
             WHERE projection = ? AND \"key\" = ?",
        )
        .bind(projection)
        .bind(key)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(row_from).transpose()
    }

    async fn rows(
        &self,
        projection: &str,
        partition: Option<&str>,
    ) -> Result<Vec<Row>, StoreError> {
        let rows = match partition {
            None => {
                sqlx::query(
                    "SELECT \"key\", \"partition\", doc FROM projection_rows \
                     WHERE projection = ? ORDER BY \"key\"",
                )
                .bind(projection)
                .fetch_all(&self.read)
                .await?
            }
            Some(partition) => {
                sqlx::query(
                    "SELECT \"key\", \"partition\", doc FROM projection_rows \
                     WHERE projection = ? AND \"partition\" = ? ORDER BY \"key\"",
                )
                .bind(projection)
                .bind(partition)
                .fetch_all(&self.read)
                .await?
            }
        };
        rows.iter().map(row_from).collect()
    }

    async fn reset_projection(&self, projection: &str) -> Result<(), StoreError> {
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("DELETE FROM projection_rows WHERE projection = ?")
            .bind(projection)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM projection_checkpoints WHERE projection = ?")
            .bind(projection)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

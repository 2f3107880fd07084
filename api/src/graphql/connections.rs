//! Relay connections, built by one helper for every list: keyset pagination on the list's
//! ordering columns, opaque cursors, `first` capped at 100, and `totalCount`.

use async_graphql::{
    SimpleObject,
    connection::{Connection, CursorType, Edge, EmptyFields, OpaqueCursor},
};
use sea_orm::{
    ConnectionTrait, DbErr, EntityTrait, FromQueryResult, IntoIdentity, PaginatorTrait,
    QueryResult, QuerySelect, QueryTrait, Select,
    sea_query::{self, DynIden, Expr, IntoIden, IntoValueTuple, Order, Query, SelectStatement},
};
use serde::{Serialize, de::DeserializeOwned};

use crate::error::{ApiError, ApiResult};

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

/// What a page costs in the query complexity limit: its nodes' cost times the page size
/// asked for, so that nested pages multiply as they do in the database.
pub fn page_cost(first: Option<i32>, child_complexity: usize) -> usize {
    let size = first.map_or(DEFAULT_PAGE_SIZE, |n| {
        u64::try_from(n).unwrap_or(0).min(MAX_PAGE_SIZE)
    });
    usize::try_from(size)
        .unwrap_or(usize::MAX)
        .saturating_mul(child_complexity)
        .saturating_add(1)
}

/// Which way a list runs along its ordering columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Ascending,
    Descending,
}

/// Fields every connection carries besides its edges.
#[derive(SimpleObject)]
pub struct ConnectionFields {
    /// How many items match, over all pages.
    pub total_count: u64,
}

/// A page of `N`, its cursors holding the ordering key `K`.
pub type Page<K, N> = Connection<OpaqueCursor<K>, N, ConnectionFields, EmptyFields>;

/// `first` and `after`, checked.
pub struct PageArgs<K> {
    first: u64,
    after: Option<K>,
}

impl<K: Serialize + DeserializeOwned + Send + Sync> PageArgs<K> {
    /// `first` defaults to 20 and is capped at 100; a cursor from another list is refused.
    pub fn parse(first: Option<i32>, after: Option<String>) -> ApiResult<Self> {
        let first = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if n < 0 => return Err(ApiError::bad_input("first", "must not be negative")),
            Some(n) => u64::try_from(n).unwrap_or(MAX_PAGE_SIZE).min(MAX_PAGE_SIZE),
        };
        let after = after
            .map(|cursor| {
                OpaqueCursor::<K>::decode_cursor(&cursor)
                    .map(|cursor| cursor.0)
                    .map_err(|_| ApiError::bad_input("after", "is not a cursor of this list"))
            })
            .transpose()?;
        Ok(Self { first, after })
    }
}

/// Runs `select` one page at a time, ordered by `order` (which must end with a unique column so
/// the order is total). `key` reads a row's ordering key; `node` turns a row into the GraphQL
/// node. One statement whatever the page size: the count rides on the page's rows as a
/// subquery (the database computes it once). Only a page past the end, which has no row to
/// carry it, costs a second statement for the count.
pub async fn paginate<E, O, K, N>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    order: O,
    direction: Direction,
    args: PageArgs<K>,
    key: impl Fn(&E::Model) -> K,
    node: impl Fn(E::Model) -> N,
) -> ApiResult<Page<K, N>>
where
    E: EntityTrait,
    E::Model: FromQueryResult + Send + Sync,
    O: IntoIdentity,
    K: IntoValueTuple + Serialize + DeserializeOwned + Send + Sync,
    N: async_graphql::OutputType,
{
    let list = List {
        matching: select,
        order,
        direction,
    };
    paginate_rows(db, list, |page| page, args, key, node).await
}

/// What a list shows: the rows `matching` selects, in `order` along `direction`.
pub struct List<E: EntityTrait, O> {
    pub matching: Select<E>,
    pub order: O,
    pub direction: Direction,
}

/// [`paginate`] for rows that carry more than `E`'s columns: `widen` adds joins and columns to
/// the page's rows (one row per row of the page), read as `R`. The page is taken first, in an
/// inner query, and widened in the outer one: what is joined is joined to the page's rows
/// only, never to every row after the cursor before the database sorts them and keeps a page
/// (PostgreSQL's generic plans did that, 41 ms a page on 2,000 activities).
pub async fn paginate_rows<E, R, O, K, N>(
    db: &impl ConnectionTrait,
    list: List<E, O>,
    widen: impl FnOnce(Select<E>) -> Select<E>,
    args: PageArgs<K>,
    key: impl Fn(&R) -> K,
    mut node: impl FnMut(R) -> N,
) -> ApiResult<Page<K, N>>
where
    E: EntityTrait,
    E::Model: FromQueryResult + Send + Sync,
    R: FromQueryResult + Send + Sync,
    O: IntoIdentity,
    K: IntoValueTuple + Serialize + DeserializeOwned + Send + Sync,
    N: async_graphql::OutputType,
{
    let List {
        matching,
        order,
        direction,
    } = list;
    let table = E::default().into_iden();
    let columns: Vec<DynIden> = order.into_identity().into_iter().collect();
    let sort = match direction {
        Direction::Ascending => Order::Asc,
        Direction::Descending => Order::Desc,
    };
    let sort_by = |query: &mut SelectStatement| {
        for column in &columns {
            query.order_by((table.clone(), column.clone()), sort.clone());
        }
    };

    let count = Query::select()
        .expr(Expr::cust("COUNT(*)"))
        .from_subquery(matching.clone().into_query(), "matching")
        .to_owned();
    let mut page = matching.clone().into_query();
    page.expr_as(Expr::SubQuery(None, Box::new(count.into())), TOTAL_COUNT);
    let from_start = args.after.is_none();
    if let Some(after) = args.after {
        // The rows past the cursor along the order: a row value compared as a whole.
        let row = Expr::tuple(
            columns
                .iter()
                .map(|column| Expr::col((table.clone(), column.clone()))),
        );
        let cursor = Expr::tuple(after.into_value_tuple().into_iter().map(Expr::val));
        page.and_where(match direction {
            Direction::Ascending => sea_query::ExprTrait::gt(row, cursor),
            Direction::Descending => sea_query::ExprTrait::lt(row, cursor),
        });
    }
    sort_by(&mut page);
    // One row more than asked tells whether there is a next page.
    page.limit(args.first + 1);

    let mut rows = widen(E::find());
    let outer = QuerySelect::query(&mut rows);
    outer
        .from_clear()
        .from_subquery(page, table.clone())
        .expr_as(Expr::col((table.clone(), TOTAL_COUNT)), TOTAL_COUNT);
    sort_by(outer);
    let mut rows = rows.into_model::<Counted<R>>().all(db).await?;
    let total_count = match rows.first() {
        Some(row) => u64::try_from(row.total_count).unwrap_or_default(),
        None if from_start => 0,
        None => matching.count(db).await?,
    };
    let has_next_page = u64::try_from(rows.len()).unwrap_or(u64::MAX) > args.first;
    rows.truncate(usize::try_from(args.first).unwrap_or(usize::MAX));

    let mut page =
        Connection::with_additional_fields(false, has_next_page, ConnectionFields { total_count });
    page.edges.extend(
        rows.into_iter()
            .map(|Counted { row, .. }| Edge::new(OpaqueCursor(key(&row)), node(row))),
    );
    Ok(page)
}

const TOTAL_COUNT: &str = "klub_total_count";

/// A row of a page and the count of every row the page's query matches.
struct Counted<M> {
    row: M,
    total_count: i64,
}

impl<M: FromQueryResult> FromQueryResult for Counted<M> {
    fn from_query_result(result: &QueryResult, prefix: &str) -> Result<Self, DbErr> {
        Ok(Self {
            row: M::from_query_result(result, prefix)?,
            total_count: result.try_get(prefix, TOTAL_COUNT)?,
        })
    }
}

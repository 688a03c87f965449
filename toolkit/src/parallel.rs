//! Spreading independent work, one item per environment, over the machine's cores.

/// Below this many items, threads cost more than they save.
const MIN_ITEMS: usize = 64;

/// `items.into_iter().map(f).collect()`, on as many threads as there are cores. The
/// results keep the order of the items, so output stays deterministic.
pub fn map<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    if items.len() < MIN_ITEMS {
        return items.into_iter().map(f).collect();
    }
    map_all(items, f)
}

/// Below this many bytes of text to read, few items cost less on one thread.
const MIN_BYTES: usize = 64 * 1024;

/// [`map`] for items of text to parse, `bytes` long together: a few large files (two
/// environments of 5,000 services each) are spread over the cores as many small ones are.
pub fn map_text<T: Send, R: Send>(
    items: Vec<T>,
    bytes: usize,
    f: impl Fn(T) -> R + Sync,
) -> Vec<R> {
    if items.len() < MIN_ITEMS && bytes < MIN_BYTES {
        return items.into_iter().map(f).collect();
    }
    map_all(items, f)
}

/// `f` over `items` cut into one chunk per core; the results in the order of the chunks.
pub fn map_chunks<'i, T: Sync, R: Send>(items: &'i [T], f: impl Fn(&'i [T]) -> R + Sync) -> Vec<R> {
    let per_thread = items.len().div_ceil(threads()).max(1);
    map_all(items.chunks(per_thread).collect(), f)
}

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `map` for few items that are each a lot of work: threads however many items there are.
fn map_all<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let threads = threads();
    if threads < 2 || items.len() < 2 {
        return items.into_iter().map(f).collect();
    }
    let per_thread = items.len().div_ceil(threads);
    let mut chunks: Vec<Vec<T>> = Vec::with_capacity(threads);
    let mut rest = items.into_iter();
    loop {
        let chunk: Vec<T> = rest.by_ref().take(per_thread).collect();
        if chunk.is_empty() {
            break;
        }
        chunks.push(chunk);
    }
    let f = &f;
    std::thread::scope(|scope| {
        let workers: Vec<_> = chunks
            .into_iter()
            .map(|chunk| scope.spawn(move || chunk.into_iter().map(f).collect::<Vec<R>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| match worker.join() {
                Ok(results) => results,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_the_order_of_the_items() {
        let items: Vec<u32> = (0..1000).collect();
        let doubled = super::map(items.clone(), |n| n * 2);
        assert_eq!(doubled, items.iter().map(|n| n * 2).collect::<Vec<_>>());
    }
}

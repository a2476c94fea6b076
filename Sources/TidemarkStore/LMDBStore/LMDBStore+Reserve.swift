import LMDB

extension LMDBStore {
    /// Writes from clients stop (-32002) while fewer than this many pages are free: a
    /// full map would otherwise leave no page for the `compact` that frees space, since
    /// every LMDB commit needs a few new pages, and the store would stay full for good.
    /// 1% of the map, at least 16 pages.
    func reservedPages(mapPages: Int) -> Int {
        max(16, mapPages / 100)
    }

    /// Whether a batch of clients' writes may go ahead. Cheap while the file is far
    /// from its limit; near it, counts LMDB's free list.
    func leavesReserve() throws -> Bool {
        let info = try environment.info()
        let mapPages = info.mapSize / info.pageSize
        let untouched = mapPages - info.usedBytes / info.pageSize
        let reserve = reservedPages(mapPages: mapPages)
        if untouched >= reserve { return true }
        return untouched + (try environment.freePageCount()) >= reserve
    }
}

// A Map that counts its mutations, so a view derived from it knows when to rebuild.
export class VersionedMap<K, V> extends Map<K, V> {
  version = 0

  override set(key: K, value: V): this {
    this.version++
    return super.set(key, value)
  }

  override delete(key: K): boolean {
    this.version++
    return super.delete(key)
  }

  override clear(): void {
    this.version++
    super.clear()
  }
}

/** An overlay's mark for a key that is gone (deleted, or put then deleted). */
const GONE = Symbol('gone');

/**
 * A key's state in an overlay layer, relative to the version the layer was made on: a value kept
 * in its place (`moved` false: the key was there and was replaced), a value at the end of the
 * order (`moved` true: the key is new, or was deleted and put again), or gone.
 */
type Slot<V> = { readonly value: V; readonly moved: boolean } | typeof GONE;
type Layer<V> = ReadonlyMap<string, Slot<V>>;

/** Overlay entries (all layers) above which the next edit writes a new base. */
const COMPACT_MIN = 64;
const COMPACT_FRACTION = 0.1;

/**
 * A persistent string-keyed map: every edit returns a new version and leaves the old one as it
 * was, at a cost proportional to the edit, not the map. Versions share one base Map; each holds
 * the changes since as a few immutable overlay layers (newest last). An edit adds a layer, small
 * layers are merged as they pile up (each merge costs the layers merged, as in an LSM tree, so
 * about log n layers stay), and once the overlay passes a tenth of the base the edit writes a new
 * base: O(1) amortised per changed key, O(layers) per read. Iteration keeps a JS Map's order (a
 * replaced key stays in place, a new or re-added key goes last), so a version reads exactly as a
 * Map or a plain object given the same puts and deletes would.
 */
export class LayeredMap<V> {
  /** The map with nothing in it. */
  static readonly EMPTY = new LayeredMap<never>(new Map<string, never>(), [], 0);

  readonly #base: ReadonlyMap<string, V>;
  readonly #layers: readonly Layer<V>[];
  /** Number of keys. */
  readonly size: number;

  private constructor(base: ReadonlyMap<string, V>, layers: readonly Layer<V>[], size: number) {
    this.#base = base;
    this.#layers = layers;
    this.size = size;
  }

  /** A map of these entries, in their order (a repeated key keeps its first place and last value). */
  static of<V>(entries: Iterable<readonly [string, V]>): LayeredMap<V> {
    const base = new Map(entries);
    return new LayeredMap(base, [], base.size);
  }

  /** A map over `base` itself, without a copy: the caller hands it over and never changes it again. */
  static adopt<V>(base: Map<string, V>): LayeredMap<V> {
    return new LayeredMap(base, [], base.size);
  }

  /** The map of a plain object's own entries. */
  static fromObject<V>(object: Readonly<Record<string, V>>): LayeredMap<V> {
    return LayeredMap.of(Object.entries(object));
  }

  /** The value under `key`, or undefined. */
  get(key: string): V | undefined {
    const slot = this.#slot(key);
    if (slot === undefined) return this.#base.get(key);
    return slot === GONE ? undefined : slot.value;
  }

  /** True when `key` is in the map. */
  has(key: string): boolean {
    const slot = this.#slot(key);
    return slot === undefined ? this.#base.has(key) : slot !== GONE;
  }

  /** The newest overlay state of `key`; undefined when no layer has it (the base decides). */
  #slot(key: string): Slot<V> | undefined {
    const layers = this.#layers;
    for (let l = layers.length - 1; l >= 0; l--) {
      const slot = layers[l]!.get(key);
      if (slot !== undefined) return slot;
    }
    return undefined;
  }

  /** Entries in order: the base's live keys where they stand, then those added since. */
  *[Symbol.iterator](): IterableIterator<[string, V]> {
    const top = this.#layers.length === 0 ? undefined : mergeAll(this.#layers);
    for (const [key, value] of this.#base) {
      const slot = top?.get(key);
      if (slot === undefined) yield [key, value];
      else if (slot !== GONE && !slot.moved) yield [key, slot.value];
    }
    if (top) for (const [key, slot] of top) if (slot !== GONE && slot.moved) yield [key, slot.value];
  }

  /** The entries as a plain object. */
  toObject(): Record<string, V> {
    return Object.fromEntries(this);
  }

  /**
   * The keys whose values may differ between this version and `other`, when both come from the
   * same base (any key of either overlay); undefined when they do not, and only a full comparison tells.
   */
  keysChangedSince(other: LayeredMap<V>): Set<string> | undefined {
    if (other.#base !== this.#base) return undefined;
    const keys = new Set<string>();
    for (const layer of [...this.#layers, ...other.#layers]) for (const key of layer.keys()) keys.add(key);
    return keys;
  }

  /** An edit of this version: make the changes on it, then take the new version with {@link MapEdit.done}. */
  edit(): MapEdit<V> {
    return new MapEdit(this);
  }

  /** This version with `layer` (its changes) on top, and `size` keys; see the class comment for the merges. */
  withLayer(layer: Layer<V>, size: number): LayeredMap<V> {
    const layers = [...this.#layers, layer];
    while (layers.length > 1 && layers[layers.length - 2]!.size <= 2 * layers[layers.length - 1]!.size) {
      const newer = layers.pop()!;
      layers.push(mergeInto(new Map(layers.pop()!), newer));
    }
    const overlay = layers.reduce((n, l) => n + l.size, 0);
    if (overlay <= Math.max(COMPACT_MIN, this.#base.size * COMPACT_FRACTION)) return new LayeredMap(this.#base, layers, size);
    // A new base: one native copy of the old (faster than visiting every entry), the overlay applied in its order.
    const base = new Map(this.#base);
    for (const [key, slot] of mergeAll(layers)) {
      if (slot === GONE || slot.moved) base.delete(key);
      if (slot !== GONE) base.set(key, slot.value);
    }
    return new LayeredMap(base, [], size);
  }
}

/**
 * The changes made on one version of a {@link LayeredMap}, read through: `get` and `has` see them.
 * Costs what it changes; the version it was made on is never modified.
 */
export class MapEdit<V> {
  readonly #from: LayeredMap<V>;
  readonly #layer = new Map<string, Slot<V>>();
  #size: number;

  constructor(from: LayeredMap<V>) {
    this.#from = from;
    this.#size = from.size;
  }

  /** The value under `key` with the changes so far. */
  get(key: string): V | undefined {
    const slot = this.#layer.get(key);
    if (slot === undefined) return this.#from.get(key);
    return slot === GONE ? undefined : slot.value;
  }

  /** True when `key` is in the map with the changes so far. */
  has(key: string): boolean {
    const slot = this.#layer.get(key);
    return slot === undefined ? this.#from.has(key) : slot !== GONE;
  }

  /** Puts `value` under `key`: in place when the key is there, else last. */
  set(key: string, value: V): void {
    const slot = this.#layer.get(key);
    if (slot === GONE) this.#layer.delete(key);
    if (slot !== undefined && slot !== GONE) this.#layer.set(key, { value, moved: slot.moved });
    else {
      const there = slot === undefined && this.#from.has(key);
      this.#layer.set(key, { value, moved: !there });
      if (!there) this.#size++;
    }
  }

  /** Deletes `key` (nothing when it is not there). */
  delete(key: string): void {
    if (!this.has(key)) return;
    this.#layer.set(key, GONE);
    this.#size--;
  }

  /** The new version: the one this edit was made on when nothing changed. */
  done(): LayeredMap<V> {
    return this.#layer.size === 0 ? this.#from : this.#from.withLayer(this.#layer, this.#size);
  }
}

/** Layers merged into one, oldest first (the first is copied, never modified). */
function mergeAll<V>(layers: readonly Layer<V>[]): Layer<V> {
  if (layers.length === 1) return layers[0]!;
  const out = new Map(layers[0]!);
  for (let l = 1; l < layers.length; l++) mergeInto(out, layers[l]!);
  return out;
}

/**
 * Applies `newer` (made on the version `older` left) to `older`, in place: a key put again after
 * it went moves to the end, one replaced in place keeps the place (and the move) it had.
 */
function mergeInto<V>(older: Map<string, Slot<V>>, newer: Layer<V>): Map<string, Slot<V>> {
  for (const [key, slot] of newer) {
    if (slot !== GONE && slot.moved) older.delete(key);
    const prior = older.get(key);
    older.set(key, slot !== GONE && !slot.moved && prior !== undefined && prior !== GONE && prior.moved ? { value: slot.value, moved: true } : slot);
  }
  return older;
}

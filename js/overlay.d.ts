// Types for wasm-memory-polyfill/overlay (browsers only: it needs the DOM and custom elements).

/** Where the overlay sits. */
export type OverlayCorner = "top-left" | "top-right" | "bottom-left" | "bottom-right";

export interface OverlayOptions {
  /** Where the <wasm-memory-ledger> element is appended (default: document.body). */
  target?: ParentNode;
  /** The corner it is fixed to (default: "bottom-right"). */
  corner?: OverlayCorner;
}

/**
 * Shows the main entry's ledger live in a corner of the page: live memories, total pages against
 * the budget, a chart of total pages over time, the largest memories (label, definedBy, pages,
 * peak) and budget hits, in a <wasm-memory-ledger> element with its own shadow root. Watches the
 * ledger (`ledger.watch()`) while mounted. Returns unmount: removes the element and stops watching.
 * @throws {TypeError} for an unknown corner, a target that can't hold an element, or no DOM
 */
export declare function mountOverlay(options?: OverlayOptions): () => void;

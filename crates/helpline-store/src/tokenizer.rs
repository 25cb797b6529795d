//! The `helpline` FTS5 tokenizer: `text::fold` for every word, and at index time the
//! compound parts and umlaut-less spelling as colocated tokens (same position, so phrase
//! queries and snippets still see one word, and the snippet highlights the whole
//! "Netzwerkdrucker" when "drucker" matched).

use crate::text;
use rusqlite::{Connection, ffi};
use std::ffi::{c_char, c_int, c_void};
use std::ptr;

/// Registers the tokenizer on this connection. Must run before any FTS table is used.
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    // SAFETY: the handle is valid while `conn` lives; the statement is finalized before
    // returning; fts5_api stays valid as long as the connection.
    unsafe {
        let db = conn.handle();
        let api = fts5_api(db)?;
        let mut tokenizer =
            ffi::fts5_tokenizer { xCreate: Some(create), xDelete: Some(delete), xTokenize: Some(tokenize) };
        let name = c"helpline";
        let create_tokenizer = (*api).xCreateTokenizer.ok_or_else(|| error("fts5 has no xCreateTokenizer"))?;
        // FTS5 copies the tokenizer struct, so a stack value is fine.
        let rc = create_tokenizer(api, name.as_ptr(), ptr::null_mut(), &mut tokenizer, None);
        if rc != ffi::SQLITE_OK {
            return Err(error("could not register the helpline tokenizer"));
        }
    }
    Ok(())
}

fn error(msg: &str) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(ffi::SQLITE_ERROR), Some(msg.to_owned()))
}

unsafe fn fts5_api(db: *mut ffi::sqlite3) -> rusqlite::Result<*mut ffi::fts5_api> {
    let mut api: *mut ffi::fts5_api = ptr::null_mut();
    let mut stmt: *mut ffi::sqlite3_stmt = ptr::null_mut();
    // SAFETY: see `register`; the pointer type name is the one FTS5 documents.
    unsafe {
        if ffi::sqlite3_prepare_v2(db, c"SELECT fts5(?1)".as_ptr(), -1, &mut stmt, ptr::null_mut()) != ffi::SQLITE_OK {
            return Err(error("FTS5 is not available"));
        }
        ffi::sqlite3_bind_pointer(stmt, 1, (&raw mut api).cast::<c_void>(), c"fts5_api_ptr".as_ptr(), None);
        ffi::sqlite3_step(stmt);
        ffi::sqlite3_finalize(stmt);
    }
    if api.is_null() { Err(error("FTS5 is not available")) } else { Ok(api) }
}

unsafe extern "C" fn create(
    _user: *mut c_void,
    _args: *mut *const c_char,
    _n: c_int,
    out: *mut *mut ffi::Fts5Tokenizer,
) -> c_int {
    // The tokenizer has no state; FTS5 only needs a non-null handle.
    // SAFETY: `out` is a valid out-pointer supplied by FTS5.
    unsafe { *out = ptr::NonNull::<ffi::Fts5Tokenizer>::dangling().as_ptr() };
    ffi::SQLITE_OK
}

unsafe extern "C" fn delete(_t: *mut ffi::Fts5Tokenizer) {}

type TokenCallback = unsafe extern "C" fn(*mut c_void, c_int, *const c_char, c_int, c_int, c_int) -> c_int;

unsafe extern "C" fn tokenize(
    _t: *mut ffi::Fts5Tokenizer,
    ctx: *mut c_void,
    flags: c_int,
    text_ptr: *const c_char,
    n_text: c_int,
    x_token: Option<TokenCallback>,
) -> c_int {
    let Some(x_token) = x_token else { return ffi::SQLITE_ERROR };
    if text_ptr.is_null() || n_text <= 0 {
        return ffi::SQLITE_OK;
    }
    // SAFETY: FTS5 passes `n_text` readable bytes.
    let bytes = unsafe { std::slice::from_raw_parts(text_ptr.cast::<u8>(), n_text as usize) };
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        // Text is always UTF-8 here; on a broken tail index what is valid.
        Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or(""),
    };
    // Colocated tokens matter only to the index: queries use the folded word, and FTS5's
    // snippet and highlight (FTS5_TOKENIZE_AUX) skip colocated tokens anyway, so leaving
    // them out there keeps snippets cheap.
    let index = flags & ffi::FTS5_TOKENIZE_DOCUMENT != 0;
    let emit = |tflags: c_int, token: &str, start: usize, end: usize| -> c_int {
        // SAFETY: the callback and context come from FTS5 for this call.
        unsafe { x_token(ctx, tflags, token.as_ptr().cast(), token.len() as c_int, start as c_int, end as c_int) }
    };
    for (start, word) in text::words(text) {
        let end = start + word.len();
        if !index {
            let rc = emit(0, &text::fold(word), start, end);
            if rc != ffi::SQLITE_OK {
                return rc;
            }
            continue;
        }
        let expanded = expand_for_index(word);
        let rc = emit(0, &expanded.folded, start, end);
        if rc != ffi::SQLITE_OK {
            return rc;
        }
        for token in &expanded.colocated {
            let rc = emit(ffi::FTS5_TOKEN_COLOCATED, token, start, end);
            if rc != ffi::SQLITE_OK {
                return rc;
            }
        }
    }
    ffi::SQLITE_OK
}

/// A word's index tokens: its folded form and what goes beside it.
#[derive(Debug)]
struct Expanded {
    folded: String,
    colocated: Vec<String>,
}

/// Words cached per thread; a cache this size holds a help desk's working vocabulary.
const EXPANDED_CACHE_WORDS: usize = 100_000;

/// Folding and decompounding are the costly part of indexing, and the same words come
/// back in every ticket, so each thread remembers what it worked out (cleared when full).
fn expand_for_index(word: &str) -> std::rc::Rc<Expanded> {
    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::rc::Rc;
    thread_local! {
        static CACHE: RefCell<HashMap<String, Rc<Expanded>>> = RefCell::new(HashMap::new());
    }
    CACHE.with(|cache| {
        if let Some(hit) = cache.borrow().get(word) {
            return hit.clone();
        }
        let expanded = Rc::new(Expanded {
            folded: text::fold(word),
            colocated: text::fold_plain(word).into_iter().chain(text::compound_parts(word)).collect(),
        });
        let mut cache = cache.borrow_mut();
        if cache.len() >= EXPANDED_CACHE_WORDS {
            cache.clear();
        }
        cache.insert(word.to_owned(), expanded.clone());
        expanded
    })
}

/* SPDX-License-Identifier: MIT */
/*
 * FlRegistry: finds, loads and checks plugins.
 *
 * Search order: folders added with fl_registry_add_dir(), then
 * FLOWREAD_PLUGIN_PATH (':'-separated; ignored when set-uid/set-gid), then
 * the compiled-in $libdir/flowread-1/plugins. Never the current directory:
 * relative folders are refused. The first file of a given name wins; later
 * ones are listed as shadowed.
 *
 * Before a file is opened with dlopen() (check_trusted()): its real
 * location (symlinks resolved) must be a regular file owned by root or the
 * running (effective) user and not group- or world-writable; so must the
 * folder that holds it and the plugin folder; and every folder above them
 * up to / must be owned by root or the running user and not writable by
 * others, unless it is sticky (/tmp: others cannot rename or replace what
 * is ours in it). Anyone else who could write any of these could run code
 * in every flowread process, as the dynamic loader's rules for privileged
 * programs also say. dlopen() gets the resolved path, so a symlink swapped
 * after the check does not count.
 *
 * dlopen() runs the plugin's ELF constructors, and the entry function runs
 * next: code of a plugin that is then refused for its descriptor has run.
 * The descriptor is checked completely before any reader function is
 * called; a refused plugin is unloaded and listed with the reason.
 */
#include "fl-private.h"

#include <errno.h>
#include <gmodule.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef FL_PLUGINSDIR
#define FL_PLUGINSDIR "/usr/local/lib/flowread-1/plugins"
#endif

#define FL_MAX_READERS_PER_PLUGIN 64
#define FL_MAX_NAME 64

struct _FlRegistry {
  gint       ref_count;
  gboolean   loaded;
  guint      flags;      /* FlRegistryFlags */
  GPtrArray *dirs;       /* char*, API folders in order */
  GPtrArray *modules;    /* GModule* kept open */
  GPtrArray *readers;    /* FlRegReader*, loaded readers */
  GPtrArray *entries;    /* FlPluginInfo*, loaded and refused, load order */
  GStringChunk *strings; /* every string an FlPluginInfo points to */
  GHashTable *seen_files;/* basename -> full path of the winner */
};

const char *
fl_registry_get_default_dir (void)
{
  return FL_PLUGINSDIR;
}

FlRegistry *
fl_registry_new (void)
{
  FlRegistry *r = g_new0 (FlRegistry, 1);

  r->ref_count = 1;
  r->dirs = g_ptr_array_new_with_free_func (g_free);
  r->modules = g_ptr_array_new ();
  r->readers = g_ptr_array_new_with_free_func (g_free);
  r->entries = g_ptr_array_new_with_free_func (g_free);
  r->strings = g_string_chunk_new (1024);
  r->seen_files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         g_free);
  return r;
}

FlRegistry *
fl_registry_ref (FlRegistry *r)
{
  g_return_val_if_fail (r != NULL, NULL);
  g_atomic_int_inc (&r->ref_count);
  return r;
}

void
fl_registry_unref (FlRegistry *r)
{
  if (r == NULL || !g_atomic_int_dec_and_test (&r->ref_count))
    return;
  /* Plugins stay mapped until the registry goes: readers' vtables and
   * strings point into them. */
  g_ptr_array_free (r->readers, TRUE);
  g_ptr_array_free (r->entries, TRUE);
  for (guint i = 0; i < r->modules->len; i++)
    g_module_close (r->modules->pdata[i]);
  g_ptr_array_free (r->modules, TRUE);
  g_ptr_array_free (r->dirs, TRUE);
  g_string_chunk_free (r->strings);
  g_hash_table_destroy (r->seen_files);
  g_free (r);
}

void
fl_registry_add_dir (FlRegistry *r, const char *dir)
{
  g_return_if_fail (r != NULL && dir != NULL);
  g_return_if_fail (!r->loaded);
  g_ptr_array_add (r->dirs, g_strdup (dir));
}

void
fl_registry_set_flags (FlRegistry *r, guint flags)
{
  g_return_if_fail (r != NULL);
  g_return_if_fail (!r->loaded);
  r->flags = flags;
}

static const char *
intern (FlRegistry *r, const char *s)
{
  return s != NULL ? g_string_chunk_insert_const (r->strings, s) : NULL;
}

static void
add_refused (FlRegistry *r, const char *file, const char *plugin,
             const char *reason)
{
  FlPluginInfo *e = g_new0 (FlPluginInfo, 1);
  g_autofree char *base = g_path_get_basename (file);

  e->name = intern (r, plugin != NULL ? plugin : base);
  e->plugin = intern (r, plugin != NULL ? plugin : base);
  e->file = intern (r, file);
  e->loaded = FALSE;
  e->reason = intern (r, reason);
  g_ptr_array_add (r->entries, e);
}

static gboolean
valid_name (const char *s)
{
  gsize n = 0;

  if (s == NULL || *s == '\0')
    return FALSE;
  for (; *s; s++, n++)
    if (!(g_ascii_islower (*s) || g_ascii_isdigit (*s) || *s == '-'
          || *s == '_') || n >= FL_MAX_NAME)
      return FALSE;
  return TRUE;
}

static gboolean
printable (const char *s, gsize max)
{
  gsize n = 0;

  if (s == NULL)
    return FALSE;
  for (; *s; s++, n++)
    if (n >= max || (guchar) *s < 0x20)
      return FALSE;
  return TRUE;
}

static const FlRegReader *
find_reader (FlRegistry *r, const char *name)
{
  for (guint i = 0; i < r->readers->len; i++)
    {
      const FlRegReader *rr = r->readers->pdata[i];
      if (strcmp (rr->klass.name, name) == 0)
        return rr;
    }
  return NULL;
}

/* Checks one reader class; returns a reason, or NULL if it is fine. */
static char *
check_reader (FlRegistry *r, const FlReaderClass *k, gsize i)
{
  gsize min = G_STRUCT_OFFSET (FlReaderClass, wrap) + sizeof (gpointer);

  if (k == NULL)
    return g_strdup_printf ("reader %" G_GSIZE_FORMAT " is NULL", i);
  if (k->struct_size < min || k->struct_size > 65536)
    return g_strdup_printf ("reader %" G_GSIZE_FORMAT
                            ": bad struct size %" G_GSIZE_FORMAT, i,
                            k->struct_size);
  if (!valid_name (k->name))
    return g_strdup_printf ("reader %" G_GSIZE_FORMAT
                            ": invalid name (want [a-z0-9_-]{1,64})", i);
  if (k->description != NULL && !printable (k->description, 256))
    return g_strdup_printf ("reader %s: invalid description", k->name);
  if (k->struct_size >= G_STRUCT_OFFSET (FlReaderClass, family)
                        + sizeof k->family
      && k->family != NULL && !valid_name (k->family))
    return g_strdup_printf ("reader %s: invalid family name", k->name);
  if (k->probe_class != FL_PROBE_MAGIC && k->probe_class != FL_PROBE_HEURISTIC)
    return g_strdup_printf ("reader %s: invalid probe class %d", k->name,
                            (int) k->probe_class);
  if (k->probe == NULL)
    return g_strdup_printf ("reader %s: no probe function", k->name);
  if (k->kind == FL_READER_FORMAT)
    {
      if (k->open == NULL || k->next == NULL || k->close == NULL)
        return g_strdup_printf ("reader %s: format reader without "
                                "open/next/close", k->name);
    }
  else if (k->kind == FL_READER_WRAPPER)
    {
      if (k->wrap == NULL)
        return g_strdup_printf ("reader %s: wrapper without wrap", k->name);
    }
  else
    return g_strdup_printf ("reader %s: invalid kind %d", k->name,
                            (int) k->kind);
  if (find_reader (r, k->name) != NULL)
    return g_strdup_printf ("reader %s: a reader of that name is already "
                            "loaded from %s", k->name,
                            find_reader (r, k->name)->info.file);
  return NULL;
}

/* Checks the descriptor; returns a reason, or NULL if it is fine. */
static char *
check_descriptor (FlRegistry *r, const FlPluginDescriptor *d)
{
  gsize min = G_STRUCT_OFFSET (FlPluginDescriptor, n_readers) + sizeof (gsize);

  if (d == NULL)
    return g_strdup ("entry point returned NULL");
  if (d->struct_size < min || d->struct_size > 65536)
    return g_strdup_printf ("bad descriptor size %" G_GSIZE_FORMAT,
                            d->struct_size);
  if (d->abi_major != FL_PLUGIN_ABI_MAJOR)
    return g_strdup_printf ("plugin ABI %u.%u, core ABI %d.%d (major differs)",
                            d->abi_major, d->abi_minor, FL_PLUGIN_ABI_MAJOR,
                            FL_PLUGIN_ABI_MINOR);
  if (d->abi_minor > FL_PLUGIN_ABI_MINOR)
    return g_strdup_printf ("plugin ABI %u.%u is newer than the core's %d.%d",
                            d->abi_major, d->abi_minor, FL_PLUGIN_ABI_MAJOR,
                            FL_PLUGIN_ABI_MINOR);
  if (!valid_name (d->name))
    return g_strdup ("invalid plugin name");
  if (!printable (d->version, 64))
    return g_strdup ("invalid plugin version");
  if (d->readers == NULL || d->n_readers == 0
      || d->n_readers > FL_MAX_READERS_PER_PLUGIN)
    return g_strdup_printf ("invalid reader list (%" G_GSIZE_FORMAT
                            " readers)", d->n_readers);
  for (gsize i = 0; i < d->n_readers; i++)
    {
      char *why = check_reader (r, d->readers[i], i);
      if (why != NULL)
        return why;
      for (gsize j = 0; j < i; j++)
        if (strcmp (d->readers[j]->name, d->readers[i]->name) == 0)
          return g_strdup_printf ("reader %s listed twice",
                                  d->readers[i]->name);
    }
  return NULL;
}

/* Owned by neither root nor us, or writable by others (a sticky folder
 * above the plugin folder is fine when sticky_ok). */
static char *
check_owner_mode (const char *path, const struct stat *st, gboolean sticky_ok)
{
  if (st->st_uid != 0 && st->st_uid != geteuid ())
    return g_strdup_printf ("%s is owned by uid %u, neither root nor the "
                            "running user", path, (guint) st->st_uid);
  if ((st->st_mode & (S_IWGRP | S_IWOTH))
      && !(sticky_ok && S_ISDIR (st->st_mode) && (st->st_mode & S_ISVTX)))
    return g_strdup_printf ("%s is group- or world-writable", path);
  return NULL;
}

/* The checks of the file comment for path (a plugin file or folder).
 * Returns a reason, or NULL with *real_out the resolved path (g_free). */
static char *
check_trusted (const char *path, gboolean is_dir, char **real_out)
{
  g_autofree char *real = NULL;
  g_autofree char *dir = NULL;
  char *why = NULL;
  struct stat st;
  char *p;

  {
    char *r = realpath (path, NULL);
    if (r == NULL)
      return g_strdup_printf ("%s: %s", path, g_strerror (errno));
    real = g_strdup (r);
    free (r);
  }
  if (stat (real, &st) != 0)
    return g_strdup_printf ("%s: %s", real, g_strerror (errno));
  if (is_dir ? !S_ISDIR (st.st_mode) : !S_ISREG (st.st_mode))
    return g_strdup (is_dir ? "not a folder" : "not a regular file");
  why = check_owner_mode (real, &st, FALSE);
  /* the folders above; the one holding a file may not be sticky */
  dir = g_strdup (real);
  for (gboolean first = !is_dir; why == NULL && (p = strrchr (dir, '/')) != NULL;
       first = FALSE)
    {
      if (p == dir)
        p[1] = '\0';  /* "/" itself */
      else
        *p = '\0';
      if (stat (dir, &st) != 0)
        why = g_strdup_printf ("%s: %s", dir, g_strerror (errno));
      else
        why = check_owner_mode (dir, &st, !first);
      if (p == dir)
        break;
    }
  if (why != NULL && strcmp (real, path) != 0)
    {
      char *longer = g_strdup_printf ("%s (%s resolves to %s)", why, path,
                                      real);
      g_free (why);
      why = longer;
    }
  if (why == NULL)
    *real_out = g_steal_pointer (&real);
  return why;
}

static void
load_file (FlRegistry *r, const char *path, const char *base)
{
  g_autofree char *why = NULL;
  g_autofree char *real = NULL;
  const FlPluginDescriptor *d;
  FlPluginEntryFunc entry = NULL;
  struct stat st;
  GModule *module;

  if (g_hash_table_contains (r->seen_files, base))
    {
      why = g_strdup_printf ("shadowed by %s",
                             (char *) g_hash_table_lookup (r->seen_files, base));
      add_refused (r, path, NULL, why);
      return;
    }
  if (stat (path, &st) != 0 || !S_ISREG (st.st_mode))
    {
      add_refused (r, path, NULL, "not a regular file");
      return;
    }
  g_hash_table_insert (r->seen_files, g_strdup (base), g_strdup (path));
  if ((why = check_trusted (path, FALSE, &real)) != NULL)
    {
      add_refused (r, path, NULL, why);
      return;
    }

  module = g_module_open (real, G_MODULE_BIND_LOCAL);
  if (module == NULL)
    {
      add_refused (r, path, NULL, g_module_error ());
      return;
    }
  if (!g_module_symbol (module, FL_PLUGIN_ENTRY_SYMBOL, (gpointer *) &entry)
      || entry == NULL)
    {
      add_refused (r, path, NULL, "no " FL_PLUGIN_ENTRY_SYMBOL " symbol");
      g_module_close (module);
      return;
    }
  d = entry ();
  if ((why = check_descriptor (r, d)) != NULL)
    {
      add_refused (r, path, NULL, why);
      g_module_close (module);
      return;
    }

  g_ptr_array_add (r->modules, module);
  for (gsize i = 0; i < d->n_readers; i++)
    {
      const FlReaderClass *k = d->readers[i];
      FlRegReader *rr = g_new0 (FlRegReader, 1);
      FlPluginInfo *e;

      /* Zero-extend: a plugin built against an older minor has a shorter
       * class; the members it does not know stay NULL. */
      memcpy (&rr->klass, k, MIN (k->struct_size, sizeof rr->klass));
      if ((r->flags & FL_REGISTRY_NO_EXEC)
          && (rr->klass.flags & FL_READER_EXEC))
        {
          g_free (rr);
          add_refused (r, path, d->name, NULL);
          e = r->entries->pdata[r->entries->len - 1];
          e->name = intern (r, k->name);
          e->reason = "runs an external program: exec readers are "
                      "switched off (FL_REGISTRY_NO_EXEC)";
          continue;
        }
      e = g_new0 (FlPluginInfo, 1);
      rr->klass.struct_size = sizeof rr->klass;
      rr->klass.name = intern (r, k->name);
      rr->klass.description = intern (r, k->description);
      rr->klass.family = intern (r, rr->klass.family);

      e->name = rr->klass.name;
      e->plugin = intern (r, d->name);
      e->version = intern (r, d->version);
      e->description = rr->klass.description;
      e->file = intern (r, path);
      e->kind = k->kind;
      e->probe_class = k->probe_class;
      e->priority = k->priority;
      e->loaded = TRUE;
      rr->info = *e;
      g_ptr_array_add (r->readers, rr);
      g_ptr_array_add (r->entries, e);
    }
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
load_dir (FlRegistry *r, const char *dir)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) gdir = NULL;
  g_autofree char *why = NULL;
  g_autofree char *real = NULL;
  const char *name;
  struct stat st;

  if (dir[0] == '\0')
    return;
  if (!g_path_is_absolute (dir))
    {
      /* A relative folder would depend on the current directory, where
       * anyone may have left a plugin. */
      why = g_strdup_printf ("plugin folder %s is not an absolute path", dir);
      add_refused (r, dir, NULL, why);
      return;
    }
  if (stat (dir, &st) != 0)
    return; /* a folder that does not exist is simply empty */
  if ((why = check_trusted (dir, TRUE, &real)) != NULL)
    {
      add_refused (r, dir, NULL, why);
      return;
    }
  gdir = g_dir_open (dir, 0, NULL);
  if (gdir == NULL)
    return;
  while ((name = g_dir_read_name (gdir)) != NULL)
    if (g_str_has_suffix (name, "." G_MODULE_SUFFIX))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_strings);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, names->pdata[i], NULL);
      load_file (r, path, names->pdata[i]);
    }
}

gboolean
fl_registry_load (FlRegistry *r, GError **error)
{
  const char *env;

  g_return_val_if_fail (r != NULL, FALSE);
  g_return_val_if_fail (!r->loaded, FALSE);
  r->loaded = TRUE;

  for (guint i = 0; i < r->dirs->len; i++)
    load_dir (r, r->dirs->pdata[i]);
  env = _fl_is_privileged () ? NULL : g_getenv ("FLOWREAD_PLUGIN_PATH");
  if (env != NULL)
    {
      g_auto (GStrv) parts = g_strsplit (env, G_SEARCHPATH_SEPARATOR_S, -1);
      for (guint i = 0; parts[i] != NULL; i++)
        load_dir (r, parts[i]);
    }
  load_dir (r, FL_PLUGINSDIR);

  if (r->readers->len == 0)
    {
      g_set_error (error, FL_ERROR, FL_ERROR_PLUGIN,
                   "no plugin could be loaded (searched %s%s%s)",
                   env != NULL ? env : "", env != NULL ? ":" : "",
                   FL_PLUGINSDIR);
      return FALSE;
    }
  return TRUE;
}

FlRegistry *
fl_registry_new_default (GError **error)
{
  FlRegistry *r = fl_registry_new ();

  if (!fl_registry_load (r, error))
    {
      fl_registry_unref (r);
      return NULL;
    }
  return r;
}

guint
fl_registry_get_n_plugins (FlRegistry *r)
{
  g_return_val_if_fail (r != NULL, 0);
  return r->entries->len;
}

const FlPluginInfo *
fl_registry_get_plugin (FlRegistry *r, guint i)
{
  g_return_val_if_fail (r != NULL, NULL);
  g_return_val_if_fail (i < r->entries->len, NULL);
  return r->entries->pdata[i];
}

guint
_fl_registry_get_n_readers (FlRegistry *r)
{
  return r->readers->len;
}

const FlRegReader *
_fl_registry_get_reader (FlRegistry *r, guint i)
{
  return r->readers->pdata[i];
}

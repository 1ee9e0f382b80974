#!/usr/bin/env python3
"""Writes nginx/config/directives.inc: every directive Debian's nginx 1.22.1
(nginx-light's modules) knows, where it may appear, how many arguments it
takes and which generic value reader nginx uses for it.

usage: generate.py NGINX_SOURCE_TREE > nginx/config/directives.inc

NGINX_SOURCE_TREE is a checkout of nginx at release-1.22.1. The list of
modules is the one `strings /usr/sbin/nginx` shows for Debian 12's
nginx-light; the table is data (names, contexts, arities), regenerated, never
edited by hand.
"""
import os
import re
import sys

MODULES = """
core errlog conf events event_core epoll regex thread_pool openssl
http http_core http_log http_upstream http_v2 http_static http_gzip_static
http_autoindex http_index http_mirror http_try_files http_auth_request
http_auth_basic http_access http_limit_conn http_limit_req http_realip
http_geo http_map http_split_clients http_referer http_rewrite http_ssl
http_proxy http_fastcgi http_uwsgi http_scgi http_memcached http_empty_gif
http_browser http_secure_link http_flv http_mp4 http_upstream_hash
http_upstream_ip_hash http_upstream_least_conn http_upstream_random
http_upstream_keepalive http_upstream_zone http_stub_status http_dav
http_random_index http_grpc http_write_filter http_header_filter
http_chunked_filter http_v2_filter http_range_header_filter
http_gzip_filter http_gunzip_filter http_postpone_filter http_ssi_filter
http_charset_filter http_sub_filter http_addition_filter http_userid_filter
http_headers_filter http_copy_filter http_range_body_filter
http_not_modified_filter http_slice_filter
""".split()

# nginx's context bits, and ours (nginx/config/directives.h).
CONTEXTS = [
    ("NGX_HTTP_MAIN_CONF", "kInHttp"), ("NGX_HTTP_SRV_CONF", "kInServer"),
    ("NGX_HTTP_LOC_CONF", "kInLocation"), ("NGX_HTTP_UPS_CONF", "kInUpstream"),
    ("NGX_HTTP_SIF_CONF", "kInServerIf"), ("NGX_HTTP_LIF_CONF", "kInLocationIf"),
    ("NGX_HTTP_LMT_CONF", "kInLimitExcept"),
]
ARITY = {
    "NGX_CONF_NOARGS": 1 << 0, "NGX_CONF_TAKE1": 1 << 1,
    "NGX_CONF_TAKE2": 1 << 2, "NGX_CONF_TAKE3": 1 << 3,
    "NGX_CONF_TAKE4": 1 << 4, "NGX_CONF_TAKE5": 1 << 5,
    "NGX_CONF_TAKE6": 1 << 6, "NGX_CONF_TAKE7": 1 << 7,
    "NGX_CONF_TAKE12": 0b110, "NGX_CONF_TAKE13": 0b1010,
    "NGX_CONF_TAKE23": 0b1100, "NGX_CONF_TAKE123": 0b1110,
    "NGX_CONF_TAKE1234": 0b11110,
}
SHAPES = {"NGX_CONF_BLOCK": "kBlock", "NGX_CONF_FLAG": "kFlag",
          "NGX_CONF_ANY": "kAnyArgs", "NGX_CONF_1MORE": "kOneOrMore",
          "NGX_CONF_2MORE": "kTwoOrMore"}
READERS = {
    "ngx_conf_set_flag_slot": "kFlagValue", "ngx_conf_set_str_slot": "kString",
    "ngx_conf_set_num_slot": "kNumber", "ngx_conf_set_size_slot": "kSize",
    "ngx_conf_set_off_slot": "kOffset", "ngx_conf_set_msec_slot": "kMsec",
    "ngx_conf_set_sec_slot": "kSec", "ngx_conf_set_enum_slot": "kEnum",
    "ngx_conf_set_bitmask_slot": "kBitmask",
}
ENTRY = re.compile(r'\{\s*ngx_string\("([^"]+)"\),\s*([A-Z0-9_|\s]+?),\s*(\w+)',
                   re.S)


def module_files(root):
    """module name -> source file defining it."""
    found = {}
    for dirpath, _, files in os.walk(os.path.join(root, "src")):
        for f in files:
            if not f.endswith(".c"):
                continue
            path = os.path.join(dirpath, f)
            text = re.sub(r"/\*.*?\*/", "",
                          open(path, encoding="latin-1").read(), flags=re.S)
            for m in re.finditer(r"ngx_module_t\s+ngx_(\w+)_module\s*=\s*\{",
                                 text):
                found[m.group(1)] = (path, text)
    return found


def commands(text, module):
    """The (name, flags, handler) of each command the module declares."""
    decl = re.search(r"ngx_module_t\s+ngx_%s_module\s*=\s*\{\s*"
                     r"NGX_MODULE_V1,\s*[^,]+,\s*(\w+)" % module, text)
    if not decl or decl.group(1) == "NULL":
        return []
    array = re.search(r"ngx_command_t\s+%s\[\]\s*=\s*\{" % decl.group(1),
                      text)
    if not array:
        sys.exit("no command array %s for ngx_%s_module" %
                 (decl.group(1), module))
    end = text.find("ngx_null_command", array.end())
    return ENTRY.findall(text[array.end():end])


def row(name, flags, handler, in_events):
    parts = [p.strip() for p in flags.split("|")]
    where = []
    if "NGX_ANY_CONF" in parts:
        where.append("kAnywhere")
    elif "NGX_MAIN_CONF" in parts or "NGX_DIRECT_CONF" in parts:
        where.append("kInMain")
    elif in_events:
        where.append("kInEvents")
    else:
        where += [ours for theirs, ours in CONTEXTS if theirs in parts]
    arity = 0
    shape = []
    for p in parts:
        arity |= ARITY.get(p, 0)
        if p in SHAPES:
            shape.append(SHAPES[p])
    reader = READERS.get(handler, "kOwn")
    return '{"%s", %s, 0x%02x, %s, Reader::%s},' % (
        name, "|".join(where) or "0", arity, "|".join(shape) or "0", reader)


def main():
    root = sys.argv[1]
    files = module_files(root)
    print("// Generated by tools/nginx_directives/generate.py from nginx "
          "1.22.1's sources\n// for Debian 12's nginx-light. Do not edit.")
    for module in MODULES:
        if module not in files:
            sys.exit("no module ngx_%s_module in %s" % (module, root))
        path, text = files[module]
        in_events = os.sep + "event" + os.sep in path
        for name, flags, handler in commands(text, module):
            print(row(name, flags, handler, in_events))


if __name__ == "__main__":
    main()

#!/usr/bin/perl
# SPDX-License-Identifier: MIT
#
# sync-check: reads the strace of an agent and proves that no reply to a
# write left it before a commit of the data file that covers the write
# (DESIGN §4: "synced before the reply"). For tests/integration/
# 71-sync-before-reply.t.
#
#   strace -f -tt -y -s 1048576 -xx -o TRACE \
#       -e trace=openat,accept4,close,read,recvfrom,recvmsg,write,writev,sendto,sendmsg,pwrite64,pwritev,pwritev2,fdatasync,fsync,msync,mmap \
#       credagentd ...
#   sync-check.pl [-v] TRACE
#
# The trace is read in the order strace reports events. A syscall split
# by another thread's ("<unfinished ...>", then "<... resumed>") has two
# places: where it entered and where it returned. A traced thread stays
# stopped until strace has reported its syscall's return, so whatever it
# does next (signalling the loop thread that sends the reply) is reported
# later: the order is right for a correct agent, and an agent that sends
# a reply without waiting for the sync shows the send before the sync's
# return.
#
# - Requests: the bytes received on each socket (read, recvfrom,
#   recvmsg, in full at the place they returned) are cut into frames; a
#   request is known by its connection, request id and type, received at
#   that place. A connection's stream starts again when accept4 returns
#   its descriptor and ends at close.
# - Replies: the bytes sent on each socket (write, writev, sendto,
#   sendmsg: as many as the call returned) are cut into frames; a reply
#   leaves where the call that carries its first byte entered.
# - Commits of the data file (any descriptor whose path ends in
#   /data.mdb), per thread: an fdatasync or fsync of it (or an msync of
#   its mapping) that returns, followed by the meta page made durable: a
#   write to it through a descriptor opened O_DSYNC (LMDB's commit without
#   NOMETASYNC), or a plain write followed by another such sync. The
#   commit spans from where that first sync entered to where the meta
#   write (or the sync after it) returned.
#
# Every reply with status OK to a request that changes the store (PUT,
# DELETE, ROTATE, ROLLBACK, UNDELETE, PURGE, DISABLE, ENABLE, LABEL,
# SHARE, UNSHARE, PASSWD, KEYSLOT_ADD, KEYSLOT_RM, REKEY, IMPORT, QUOTA,
# USAGE_RESET, VERIFY) must be preceded by a commit that entered after
# the request was received and returned before the reply left.
#
# Prints "requests R write-replies W commits C violations V" and one line
# per violation (-v: one line per checked reply too). Exit 0 when there
# is no violation and at least one write reply was checked; 1 otherwise;
# 2 when the trace cannot be read.

use strict;
use warnings;

my $verbose = 0;
if (@ARGV && $ARGV[0] eq '-v') { $verbose = 1; shift }
die "usage: sync-check.pl [-v] TRACE\n" unless @ARGV == 1;
open(my $in, '<', $ARGV[0]) or do { print STDERR "sync-check: $ARGV[0]: $!\n"; exit 2 };

my %WRITE_OPS = map { $_ => 1 } (0x03, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e,
    0x10, 0x11, 0x14, 0x16, 0x17, 0x19, 0x1b, 0x1f, 0x20, 0x21);
my %NAMES = (0x03 => 'PUT', 0x07 => 'DELETE', 0x08 => 'ROTATE', 0x09 => 'ROLLBACK',
    0x0a => 'UNDELETE', 0x0b => 'PURGE', 0x0c => 'DISABLE', 0x0d => 'ENABLE', 0x0e => 'LABEL',
    0x10 => 'SHARE', 0x11 => 'UNSHARE', 0x14 => 'PASSWD', 0x16 => 'KEYSLOT_ADD',
    0x17 => 'KEYSLOT_RM', 0x19 => 'REKEY', 0x1b => 'IMPORT', 0x1f => 'QUOTA',
    0x20 => 'USAGE_RESET', 0x21 => 'VERIFY');

my %pending;   # tid -> [entry place, text so far] of an unfinished call
my %instream;  # fd -> bytes received not yet cut into frames
my %outstream; # fd -> bytes sent not yet cut into frames
my %requests;  # fd -> [ [reqid, type, place] ... ] waiting for their reply
my %dsync_fd;  # fd -> 1: a data.mdb descriptor opened with O_DSYNC
my @maps;      # [start, end] of data.mdb mappings
my %tstate;    # tid -> [state, start place]: 0 none, 1 synced, 2 meta written unsynced
my @commits;   # [start place, end place]
my ($n_req, $n_checked, @violations) = (0, 0);

sub unescape {
    my ($s) = @_;
    my %c = (n => "\n", t => "\t", r => "\r", v => "\x0b", f => "\f");
    # One pass: an unescaped byte is never read again as an escape.
    $s =~ s{\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)}{
        my $e = $1;
        $e =~ /^x/ ? chr(hex substr($e, 1)) : $e =~ /^[0-7]/ ? chr(oct $e) : ($c{$e} // $e)
    }ges;
    return $s;
}

# The quoted strings of a call's text, unescaped, in order (strace -xx
# escapes every byte, so a string holds no bare quote).
sub strings {
    my ($t) = @_;
    my @s;
    while ($t =~ /"([^"]*)"/g) { push @s, unescape($1) }
    return @s;
}

sub is_data { return $_[0] =~ m{/data\.mdb$} }

# Cut whole frames off a stream: [type, reqid, status or undef, length].
sub frames {
    my ($bufref, $reply) = @_;
    my @f;
    while (length($$bufref) >= 4) {
        my $len = unpack('N', $$bufref);
        last if length($$bufref) < 4 + $len;
        my $fr = substr($$bufref, 0, 4 + $len, '');
        next if $len < 5;
        my ($type, $id) = unpack('C N', substr($fr, 4, 5));
        my $st = $reply && $len >= 7 ? unpack('n', substr($fr, 9, 2)) : undef;
        push @f, [$type, $id, $st];
    }
    return @f;
}

sub received {
    my ($fd, $data, $place) = @_;
    $instream{$fd} .= $data;
    for my $f (frames(\$instream{$fd}, 0)) {
        push @{$requests{$fd}}, [$f->[1], $f->[0], $place];
        $n_req++;
    }
}

sub sent {
    my ($fd, $data, $place, $line) = @_;
    # A reply leaves with its first byte: the frames that start in this
    # call's bytes left at its entry.
    $outstream{$fd} .= $data;
    for my $f (frames(\$outstream{$fd}, 1)) {
        my ($type, $id, $st) = @$f;
        next if $type == 0xc0; # EVENT
        my $q = $requests{$fd} || [];
        my $i = 0;
        $i++ while $i < @$q && $q->[$i][0] != $id;
        next if $i == @$q;
        my ($req) = splice(@$q, $i, 1);
        my $rtype = $type & 0x7f;
        next unless $WRITE_OPS{$rtype} && defined $st && $st == 0;
        $n_checked++;
        my $recv = $req->[2];
        my ($c) = grep { $_->[0] > $recv && $_->[1] < $place } @commits;
        my $what = sprintf('%s id %u on fd %s received at line %d, replied at line %d',
            $NAMES{$rtype}, $id, $fd, $recv, $place);
        if ($c) {
            print "ok: $what; commit lines $c->[0]-$c->[1]\n" if $verbose;
        } else {
            push @violations, "no commit of data.mdb between: $what";
        }
    }
}

sub sync_done {
    my ($tid, $entry, $exit) = @_;
    my $s = $tstate{$tid} || [0];
    push @commits, [$s->[1], $exit] if $s->[0] == 2;
    $tstate{$tid} = [1, $entry];
}

sub data_write {
    my ($tid, $fd, $exit) = @_;
    my $s = $tstate{$tid} || [0];
    return unless $s->[0] >= 1;
    if ($dsync_fd{$fd}) {
        push @commits, [$s->[1], $exit];
        $tstate{$tid} = [0];
    } else {
        $tstate{$tid} = [2, $s->[1]];
    }
}

sub call {
    my ($tid, $entry, $exit, $name, $args, $ret) = @_;
    return unless defined $ret && $ret =~ /^(-?\d+|0x[0-9a-f]+)/;
    my $rv = $1;
    my ($fd, $path) = $args =~ /^(\d+)<([^>]*)>/ ? ($1, $2) : (undef, '');
    if ($name eq 'openat') {
        my ($nfd, $npath) = $ret =~ /^(\d+)<([^>]*)>/;
        if (defined $nfd && is_data($npath) && $args =~ /O_DSYNC|O_SYNC/) {
            $dsync_fd{$nfd} = 1;
        } elsif ($ret =~ /^(\d+)/) {
            delete $dsync_fd{$1};
        }
        return;
    }
    if ($name eq 'accept4' || $name eq 'accept') {
        if ($rv =~ /^\d+$/ && $rv >= 0) {
            delete $instream{$rv}; delete $outstream{$rv}; delete $requests{$rv};
            delete $dsync_fd{$rv};
        }
        return;
    }
    if ($name eq 'close') {
        if (defined $fd) {
            delete $instream{$fd}; delete $outstream{$fd}; delete $requests{$fd};
            delete $dsync_fd{$fd};
        }
        return;
    }
    if ($name eq 'mmap') {
        if ($args =~ /^[^,]+,\s*(\d+),.*?,\s*(\d+)<([^>]*)>/ && is_data($3) && $rv =~ /^0x/) {
            push @maps, [hex($rv), hex($rv) + $1];
        }
        return;
    }
    if ($name eq 'fdatasync' || $name eq 'fsync') {
        sync_done($tid, $entry, $exit) if defined $fd && is_data($path) && $rv eq '0';
        return;
    }
    if ($name eq 'msync') {
        if ($rv eq '0' && $args =~ /^(0x[0-9a-f]+)/) {
            my $a = hex $1;
            sync_done($tid, $entry, $exit) if grep { $a >= $_->[0] && $a < $_->[1] } @maps;
        }
        return;
    }
    return unless defined $fd && $rv =~ /^\d+$/ && $rv > 0;
    if (is_data($path)) {
        data_write($tid, $fd, $exit) if $name =~ /^(write|writev|pwrite64|pwritev2?)$/;
        return;
    }
    return unless $path =~ /^(socket|UNIX|UNIX-STREAM):/;
    my $data = join('', strings($args));
    if ($name =~ /^(read|recvfrom|recvmsg)$/) {
        received($fd, substr($data, 0, $rv), $exit);
    } elsif ($name =~ /^(write|writev|sendto|sendmsg)$/) {
        sent($fd, substr($data, 0, $rv), $entry);
    }
}

my $ln = 0;
while (my $line = <$in>) {
    $ln++;
    chomp $line;
    # -xx shows the paths of -y in hex too.
    $line =~ s/<((?:\\x[0-9a-fA-F]{2})+)>/'<' . unescape($1) . '>'/ge;
    # "PID HH:MM:SS.usec rest" (strace -f -tt -o FILE), or without PID.
    my ($tid, $rest) = $line =~ /^(?:\[pid\s+)?(\d+)\]?\s+\d\d:\d\d:\d\d\.\d+\s+(.*)$/
        or next;
    if ($rest =~ /^<\.\.\. (\w+) resumed>(.*)$/) {
        my ($name, $tail) = ($1, $2);
        my $p = delete $pending{$tid} or next;
        my $text = $p->[1] . $tail;
        my ($args, $ret) = $text =~ /^\w+\((.*)\)\s+=\s+(.*)$/s or next;
        call($tid, $p->[0], $ln, $name, $args, $ret);
    } elsif ($rest =~ /^(\w+)\((.*) <unfinished \.\.\.>$/) {
        $pending{$tid} = [$ln, "$1($2"];
    } elsif ($rest =~ /^(\w+)\((.*)\)\s+=\s+(.*)$/) {
        call($tid, $ln, $ln, $1, $2, $3);
    }
}
close $in;
printf "requests %d write-replies %d commits %d violations %d\n", $n_req, $n_checked,
    scalar @commits, scalar @violations;
print "$_\n" for @violations[0 .. ($#violations < 19 ? $#violations : 19)];
exit(@violations == 0 && $n_checked > 0 ? 0 : 1);

#!/usr/bin/perl
# A peer built on Net::SIP (Debian's libnet-sip-perl), a SIP stack of its own
# (parser, transactions, digest, RTP and RFC 2833 events), for
# test/interop-netsip.test.ts. Every mode binds 127.0.0.1 only, prints what
# it does on stdout ("ready", "registered", "answered", "dtmf sent",
# "bye received", "done ..."), and ends by itself after its time limit.
#
#   peer.pl registrar PORT REALM SECONDS MIN_EXPIRES MAX_EXPIRES USER:PASS...
#       A registrar and stateless proxy (Net::SIP::Registrar,
#       Net::SIP::StatelessProxy) that asks every request but ACK and CANCEL
#       for Digest credentials (Net::SIP::Authorize, 401), and grants
#       bindings of MIN_EXPIRES to MAX_EXPIRES seconds (423 below).
#   peer.pl callee PROXY_PORT REALM USER PASS CODE SECONDS
#       Registers, answers the first INVITE, sends CODE as RFC 2833 events
#       once the call is up, then waits for the door's BYE.
#   peer.pl caller PROXY_PORT REALM USER PASS TARGET CODE SECONDS
#       Registers, calls TARGET through the proxy, sends CODE as RFC 2833
#       events once the call is up, then hangs up.
use strict;
use warnings;
use Net::SIP;
use IO::Handle;
use IO::Socket::INET;

STDOUT->autoflush(1);
my $mode = shift @ARGV // die "usage: peer.pl registrar|callee|caller ...\n";

sub say_line { print join(' ', @_), "\n" }

sub limit {
    my ($ua, $seconds) = @_;
    my $over;
    $ua->add_timer($seconds, \$over);
    return \$over;
}

if ($mode eq 'registrar') {
    my ($port, $realm, $seconds, $min, $max, @users) = @ARGV;
    my %pass = map { split(/:/, $_, 2) } @users;
    my $ua = Net::SIP::Simple->new(leg => "127.0.0.1:$port");
    my $auth = $ua->create_auth(user2pass => \%pass, realm => $realm, opaque => 'netsip-opaque');
    my $registrar = $ua->create_registrar(min_expires => $min, max_expires => $max);
    my $proxy = $ua->create_stateless_proxy;
    $ua->create_chain([ $auth, $registrar, $proxy ]);
    say_line('ready', $port);
    my $over = limit($ua, $seconds);
    $ua->loop(undef, $over);
    say_line('done', 'time limit');
    exit 0;
}

if ($mode eq 'callee' || $mode eq 'caller') {
    my ($proxy, $realm, $user, $pass) = splice(@ARGV, 0, 4);
    my $target = $mode eq 'caller' ? shift @ARGV : undef;
    my ($code, $seconds) = @ARGV;
    # A port of the system's choosing: Net::SIP's own default is 5060 with SO_REUSEADDR, where a second phone (the
    # Node and XS suites run at once) would take the first one's requests.
    my $sock = IO::Socket::INET->new(Proto => 'udp', LocalAddr => '127.0.0.1', LocalPort => 0)
        or do { say_line('done', "no socket: $!"); exit 1 };
    my $leg = Net::SIP::Leg->new(sock => $sock);
    my $ua = Net::SIP::Simple->new(
        from => "sip:$user\@$realm",
        auth => [ $user, $pass ],
        leg => $leg,
        outgoing_proxy => "127.0.0.1:$proxy",
        registrar => "127.0.0.1:$proxy",
        domain => $realm,
    );
    my $over = limit($ua, $seconds);
    my $expires = $ua->register(expires => 300) or do { say_line('done', 'register failed:', $ua->error); exit 1 };
    say_line('registered', $expires);

    my ($up, $bye, $dtmf_done, $call);
    if ($mode eq 'callee') {
        $ua->listen(
            init_media => $ua->rtp('recv_echo', undef, 0),
            cb_create => sub { say_line('invite'); 1 },
            cb_established => sub { (undef, $call) = @_; $up = 1 },
            recv_bye => \$bye,
        );
        $ua->loop(undef, \$up, $over);
        if (!$up) { say_line('done', 'no call'); exit 1 }
        say_line('answered');
    } else {
        $call = $ua->invite($target, init_media => $ua->rtp('recv_echo', undef, 0), recv_bye => \$bye)
            or do { say_line('done', 'invite failed:', $ua->error); exit 1 };
        if ($call->error) { say_line('done', 'invite failed:', $call->error); exit 1 }
        say_line('answered');
    }
    # Let media flow a moment, then the code as RFC 2833 events, 100 ms each with pauses between.
    my $start;
    $ua->add_timer(0.5, \$start);
    $ua->loop(undef, \$start, \$bye, $over);
    $call->dtmf(join('-', split(//, $code)), methods => 'rfc2833', duration => 100, cb_final => \$dtmf_done) unless $bye;
    $ua->loop(undef, \$dtmf_done, \$bye, $over);
    say_line('dtmf sent') if $dtmf_done;
    if ($mode eq 'caller' && !$bye) {
        my $wait;
        $ua->add_timer(1, \$wait);
        $ua->loop(undef, \$wait, \$bye, $over);
        if (!$bye) {
            my $closed;
            $call->bye(cb_final => \$closed);
            $ua->loop(undef, \$closed, $over);
            say_line('bye sent');
        }
    } else {
        $ua->loop(undef, \$bye, $over);
    }
    say_line('bye received') if $bye;
    say_line('done', $$over ? 'time limit' : 'ok');
    exit 0;
}

die "unknown mode $mode\n";
